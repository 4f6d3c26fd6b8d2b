-- CreateEnum
CREATE TYPE "policy_subject" AS ENUM ('user', 'group');

-- CreateEnum
CREATE TYPE "policy_change_status" AS ENUM ('pending', 'approved', 'rejected', 'expired');

-- AlterEnum
ALTER TYPE "session_end_reason" ADD VALUE 'policy';

-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "hardened" BOOLEAN,
ADD COLUMN     "policy_id" TEXT NOT NULL DEFAULT 'p-default',
ADD COLUMN     "policy_version" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "source_ip" TEXT;

-- AlterTable
ALTER TABLE "policies" DROP COLUMN "document",
DROP COLUMN "updated_at",
DROP COLUMN "version",
ADD COLUMN     "current_version" INTEGER NOT NULL;

-- CreateTable
CREATE TABLE "policy_versions" (
    "id" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "document" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "approver_id" TEXT,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_versions_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "groups" (
    "id" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "groups_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "group_members" (
    "group_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "group_members_pkey" PRIMARY KEY ("group_id","user_id")
);

-- CreateTable
CREATE TABLE "policy_assignments" (
    "id" TEXT NOT NULL,
    "subject_type" "policy_subject" NOT NULL,
    "subject_id" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 100,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "policy_assignments_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "policy_changes" (
    "id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "change" TEXT NOT NULL,
    "reasons" TEXT NOT NULL,
    "diff" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "status" "policy_change_status" NOT NULL DEFAULT 'pending',
    "decider_id" TEXT,
    "decided_at" TIMESTAMP(3),
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "policy_changes_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "policy_versions_policy_id_version_key" ON "policy_versions"("policy_id", "version");

-- CreateIndex
CREATE UNIQUE INDEX "groups_name_key" ON "groups"("name");

-- CreateIndex
CREATE INDEX "group_members_user_id_idx" ON "group_members"("user_id");

-- CreateIndex
CREATE INDEX "policy_assignments_policy_id_idx" ON "policy_assignments"("policy_id");

-- CreateIndex
CREATE UNIQUE INDEX "policy_assignments_subject_type_subject_id_key" ON "policy_assignments"("subject_type", "subject_id");

-- CreateIndex
CREATE INDEX "policy_changes_status_expires_at_idx" ON "policy_changes"("status", "expires_at");

-- AddForeignKey
ALTER TABLE "policy_versions" ADD CONSTRAINT "policy_versions_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "group_members" ADD CONSTRAINT "group_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "policy_assignments" ADD CONSTRAINT "policy_assignments_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
