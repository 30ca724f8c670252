// Checks that inventory.proto is wire-compatible with the platform's original
// contract: same package and service, every original method with the same
// request and response types, every original message and enum present, and
// every original field with the same number, type and label.
#include <gtest/gtest.h>
#include <google/protobuf/compiler/importer.h>
#include <google/protobuf/descriptor.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "inventory/v1/inventory.pb.h"

namespace {

namespace pb = google::protobuf;

class CollectErrors : public pb::compiler::MultiFileErrorCollector {
 public:
  void AddError(const std::string& file, int line, int column, const std::string& message) override {
    errors += file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message + "\n";
  }
  std::string errors;
};

// The platform's contract lives in the shared reference folder beside the
// checkout (or where INVENTORY_REFERENCE_PROTO_DIR points).
std::string ReferenceDir() {
  if (const char* dir = std::getenv("INVENTORY_REFERENCE_PROTO_DIR")) return dir;
  for (const char* dir : {INVENTORY_REFERENCE_PROTO_DIR, "/work/shared/reference"}) {
    if (std::filesystem::exists(std::string(dir) + "/travio-inventory-v1.proto")) return dir;
  }
  return "";
}

class ProtoCompatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = ReferenceDir();
    if (dir.empty()) {
      GTEST_SKIP() << "reference contract travio-inventory-v1.proto not found beside the checkout "
                      "(../shared/reference); set INVENTORY_REFERENCE_PROTO_DIR";
    }
    tree_.MapPath("", dir);
    importer_ = std::make_unique<pb::compiler::Importer>(&tree_, &errors_);
    reference_ = importer_->Import("travio-inventory-v1.proto");
    ASSERT_NE(reference_, nullptr) << errors_.errors;
    ours_ = inventory::v1::HoldSeatsRequest::descriptor()->file();
  }

  pb::compiler::DiskSourceTree tree_;
  CollectErrors errors_;
  std::unique_ptr<pb::compiler::Importer> importer_;
  const pb::FileDescriptor* reference_ = nullptr;
  const pb::FileDescriptor* ours_ = nullptr;
};

TEST_F(ProtoCompatTest, SamePackageAndService) {
  EXPECT_EQ(reference_->package(), ours_->package());
  ASSERT_EQ(reference_->service_count(), 1);
  const pb::ServiceDescriptor* theirs = reference_->service(0);
  const pb::ServiceDescriptor* mine = ours_->FindServiceByName(theirs->name());
  ASSERT_NE(mine, nullptr) << theirs->name();
  for (int i = 0; i < theirs->method_count(); ++i) {
    const pb::MethodDescriptor* want = theirs->method(i);
    const pb::MethodDescriptor* got = mine->FindMethodByName(want->name());
    ASSERT_NE(got, nullptr) << "method " << want->name() << " missing";
    EXPECT_EQ(got->input_type()->full_name(), want->input_type()->full_name()) << want->name();
    EXPECT_EQ(got->output_type()->full_name(), want->output_type()->full_name()) << want->name();
    EXPECT_EQ(got->client_streaming(), want->client_streaming()) << want->name();
    EXPECT_EQ(got->server_streaming(), want->server_streaming()) << want->name();
  }
}

void ExpectMessageCompatible(const pb::Descriptor* want, const pb::Descriptor* got) {
  for (int i = 0; i < want->field_count(); ++i) {
    const pb::FieldDescriptor* w = want->field(i);
    const pb::FieldDescriptor* g = got->FindFieldByNumber(w->number());
    ASSERT_NE(g, nullptr) << want->full_name() << " field #" << w->number() << " missing";
    EXPECT_EQ(g->name(), w->name()) << want->full_name() << " #" << w->number();
    EXPECT_EQ(g->type(), w->type()) << want->full_name() << "." << w->name();
    EXPECT_EQ(g->label(), w->label()) << want->full_name() << "." << w->name();
    EXPECT_EQ(g->is_map(), w->is_map()) << want->full_name() << "." << w->name();
    if (w->message_type() != nullptr && !w->is_map()) {
      EXPECT_EQ(g->message_type()->full_name(), w->message_type()->full_name());
    }
    if (w->enum_type() != nullptr) {
      EXPECT_EQ(g->enum_type()->full_name(), w->enum_type()->full_name());
    }
  }
}

TEST_F(ProtoCompatTest, EveryMessageFieldKeepsNumberAndType) {
  ASSERT_GT(reference_->message_type_count(), 20);
  for (int i = 0; i < reference_->message_type_count(); ++i) {
    const pb::Descriptor* want = reference_->message_type(i);
    const pb::Descriptor* got = ours_->FindMessageTypeByName(want->name());
    ASSERT_NE(got, nullptr) << "message " << want->name() << " missing";
    ExpectMessageCompatible(want, got);
  }
}

TEST_F(ProtoCompatTest, EveryEnumValueKeepsNumber) {
  for (int i = 0; i < reference_->enum_type_count(); ++i) {
    const pb::EnumDescriptor* want = reference_->enum_type(i);
    const pb::EnumDescriptor* got = ours_->FindEnumTypeByName(want->name());
    ASSERT_NE(got, nullptr) << "enum " << want->name() << " missing";
    for (int v = 0; v < want->value_count(); ++v) {
      const pb::EnumValueDescriptor* g = got->FindValueByName(want->value(v)->name());
      ASSERT_NE(g, nullptr) << want->value(v)->name();
      EXPECT_EQ(g->number(), want->value(v)->number()) << want->value(v)->name();
    }
  }
}

}  // namespace
