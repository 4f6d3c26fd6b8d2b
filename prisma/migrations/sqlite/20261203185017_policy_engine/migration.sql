-- CreateTable
CREATE TABLE "policy_versions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "policy_id" TEXT NOT NULL,
    "version" INTEGER NOT NULL,
    "document" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "approver_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_versions_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "groups" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "description" TEXT NOT NULL DEFAULT '',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateTable
CREATE TABLE "group_members" (
    "group_id" TEXT NOT NULL,
    "user_id" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,

    PRIMARY KEY ("group_id", "user_id"),
    CONSTRAINT "group_members_group_id_fkey" FOREIGN KEY ("group_id") REFERENCES "groups" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "group_members_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "policy_assignments" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "subject_type" TEXT NOT NULL,
    "subject_id" TEXT NOT NULL,
    "policy_id" TEXT NOT NULL,
    "priority" INTEGER NOT NULL DEFAULT 100,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "policy_assignments_policy_id_fkey" FOREIGN KEY ("policy_id") REFERENCES "policies" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "policy_changes" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "kind" TEXT NOT NULL,
    "change" TEXT NOT NULL,
    "reasons" TEXT NOT NULL,
    "diff" TEXT NOT NULL,
    "author_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "decider_id" TEXT,
    "decided_at" DATETIME,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" DATETIME NOT NULL
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_sessions" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "device_id" TEXT NOT NULL,
    "gateway_id" TEXT NOT NULL,
    "client_cert_serial" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expires_at" DATETIME NOT NULL,
    "last_heartbeat_at" DATETIME,
    "policy_id" TEXT NOT NULL DEFAULT 'p-default',
    "policy_version" INTEGER NOT NULL DEFAULT 0,
    "source_ip" TEXT,
    "hardened" BOOLEAN,
    "ended_at" DATETIME,
    "end_reason" TEXT,
    CONSTRAINT "sessions_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "sessions_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "desktop_devices" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "sessions_gateway_id_fkey" FOREIGN KEY ("gateway_id") REFERENCES "gateways" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_sessions" ("client_cert_serial", "created_at", "device_id", "end_reason", "ended_at", "expires_at", "gateway_id", "id", "last_heartbeat_at", "user_id") SELECT "client_cert_serial", "created_at", "device_id", "end_reason", "ended_at", "expires_at", "gateway_id", "id", "last_heartbeat_at", "user_id" FROM "sessions";
DROP TABLE "sessions";
ALTER TABLE "new_sessions" RENAME TO "sessions";
CREATE INDEX "sessions_user_id_ended_at_idx" ON "sessions"("user_id", "ended_at");
CREATE INDEX "sessions_gateway_id_ended_at_idx" ON "sessions"("gateway_id", "ended_at");
CREATE INDEX "sessions_ended_at_expires_at_idx" ON "sessions"("ended_at", "expires_at");
CREATE INDEX "sessions_client_cert_serial_idx" ON "sessions"("client_cert_serial");
CREATE TABLE "new_policies" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "current_version" INTEGER NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO "new_policies" ("created_at", "id", "name") SELECT "created_at", "id", "name" FROM "policies";
DROP TABLE "policies";
ALTER TABLE "new_policies" RENAME TO "policies";
CREATE UNIQUE INDEX "policies_name_key" ON "policies"("name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

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
