#!/usr/bin/env bash
# Makes throwaway TLS material for the secure Cassandra node and the cluster
# tests, with openssl. Nothing here is ever committed: DIR must be outside the
# repository or in one of its git-ignored run folders (.run/, .test-run/, ...).
#
#   certs.sh make DIR    make (or keep, when complete and valid another day) in DIR:
#     ca.pem, ca-key.pem         a CA made for this folder only
#     node.pem, node-key.pem     the nodes' certificate, subjectAltName
#                                IP:127.0.0.1-127.0.0.4 and DNS:localhost
#     node-keystore.pem          node-key.pem + node.pem + ca.pem: the PEM
#                                keystore of Cassandra's PEMBasedSslContextFactory
#                                (client_encryption_options.keystore; the key is
#                                unencrypted PKCS#8, so no keystore_password)
#     client.pem, client-key.pem a client certificate, CN=inventoryd, for
#                                require_client_auth
#   certs.sh check DIR   verify the chain and print subjects and expiry
#
# Keys are RSA 2048, certificates valid CERTS_DAYS days (default 30). Keys are
# mode 600. The CA key stays in DIR; delete DIR to throw everything away.
set -euo pipefail
source "$(dirname "$0")/common.sh"

usage() { echo "usage: certs.sh make|check DIR" >&2; exit 2; }
cmd="${1:-}"; DIR="${2:-}"
[ -n "$cmd" ] && [ -n "$DIR" ] && [ $# -eq 2 ] || usage
DAYS="${CERTS_DAYS:-30}"
FILES=(ca.pem ca-key.pem node.pem node-key.pem node-keystore.pem client.pem client-key.pem)

# Refuse a folder git would pick up: keys must never be committed.
guard_dir() {
  local abs; abs="$(realpath -m "$DIR")"
  case "$abs/" in
    "$ROOT"/*)
      if ! git -C "$ROOT" check-ignore -q "$abs/ca-key.pem" 2>/dev/null; then
        die "$abs is inside the repository and not git-ignored; use a run folder such as $ROOT/.run/certs"
      fi ;;
  esac
  DIR="$abs"
}

# sign NAME SUBJECT EXTENSIONS: NAME-key.pem + NAME.pem signed by the CA.
sign() {
  local name="$1" subject="$2" ext="$3"
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DIR/$name-key.pem" 2>/dev/null
  openssl req -new -key "$DIR/$name-key.pem" -subj "$subject" -out "$DIR/$name.csr"
  printf '%s\n' "$ext" >"$DIR/$name.ext"
  openssl x509 -req -in "$DIR/$name.csr" -CA "$DIR/ca.pem" -CAkey "$DIR/ca-key.pem" \
    -set_serial "0x$(openssl rand -hex 16)" -days "$DAYS" -sha256 \
    -extfile "$DIR/$name.ext" -out "$DIR/$name.pem" 2>/dev/null
  rm -f "$DIR/$name.csr" "$DIR/$name.ext"
}

complete() {
  local f
  for f in "${FILES[@]}"; do [ -s "$DIR/$f" ] || return 1; done
  # Still valid for a day, and still a chain.
  openssl x509 -checkend 86400 -noout -in "$DIR/node.pem" >/dev/null &&
    openssl x509 -checkend 86400 -noout -in "$DIR/client.pem" >/dev/null &&
    openssl verify -CAfile "$DIR/ca.pem" "$DIR/node.pem" "$DIR/client.pem" >/dev/null 2>&1
}

make_certs() {
  guard_dir
  if complete; then log "certs: $DIR already holds a valid set; kept"; return 0; fi
  command -v openssl >/dev/null || die "openssl is missing"
  umask 077
  mkdir -p "$DIR"
  rm -f "${FILES[@]/#/$DIR/}"
  openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$DIR/ca-key.pem" -out "$DIR/ca.pem" \
    -days "$DAYS" -sha256 -subj "/O=inventory tests/CN=inventory throwaway CA $(date +%Y%m%d%H%M%S)" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  sign node "/O=inventory tests/CN=cassandra-node" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth
subjectAltName=IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3,IP:127.0.0.4,DNS:localhost"
  sign client "/O=inventory tests/CN=inventoryd" \
"basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=clientAuth"
  cat "$DIR/node-key.pem" "$DIR/node.pem" "$DIR/ca.pem" >"$DIR/node-keystore.pem"
  chmod 600 "$DIR"/*-key.pem "$DIR/node-keystore.pem"
  chmod 644 "$DIR/ca.pem" "$DIR/node.pem" "$DIR/client.pem"
  complete || die "the certificates made in $DIR do not verify"
  log "certs: CA, node and client certificates in $DIR (valid $DAYS days)"
}

check_certs() {
  [ -d "$DIR" ] || die "$DIR: no such folder"
  DIR="$(cd "$DIR" && pwd)"
  complete || die "$DIR does not hold a complete, valid set (run certs.sh make $DIR)"
  local f
  for f in ca node client; do
    printf '%-7s %s | %s\n' "$f" "$(openssl x509 -noout -subject -in "$DIR/$f.pem")" \
      "$(openssl x509 -noout -enddate -in "$DIR/$f.pem")"
  done
  openssl x509 -noout -ext subjectAltName -in "$DIR/node.pem" | tail -1
}

case "$cmd" in
  make) make_certs ;;
  check) check_certs ;;
  *) usage ;;
esac
