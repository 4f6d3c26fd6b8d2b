-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "rule" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "fields" TEXT NOT NULL DEFAULT '{}',
    "audit_seq" BIGINT,
    "fired_at" DATETIME NOT NULL,
    "acked_at" DATETIME,
    "acked_by" TEXT
);

-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_gateways" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "name" TEXT NOT NULL,
    "fqdn" TEXT NOT NULL,
    "addresses" TEXT NOT NULL DEFAULT '[]',
    "ssh_host_key_fingerprint" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending',
    "ssh_host" TEXT NOT NULL DEFAULT '',
    "ssh_port" INTEGER NOT NULL DEFAULT 2222,
    "ssh_user" TEXT NOT NULL DEFAULT 'root',
    "settings" TEXT NOT NULL DEFAULT '{}',
    "config_id" TEXT,
    "provisioned_at" DATETIME,
    "last_health_at" DATETIME,
    "last_health_ok" BOOLEAN,
    "audit_seq" INTEGER NOT NULL DEFAULT 0,
    "log_cursors" TEXT NOT NULL DEFAULT '{}',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);
INSERT INTO "new_gateways" ("addresses", "audit_seq", "config_id", "created_at", "fqdn", "id", "last_health_at", "last_health_ok", "name", "provisioned_at", "settings", "ssh_host", "ssh_host_key_fingerprint", "ssh_port", "ssh_user", "status", "updated_at") SELECT "addresses", "audit_seq", "config_id", "created_at", "fqdn", "id", "last_health_at", "last_health_ok", "name", "provisioned_at", "settings", "ssh_host", "ssh_host_key_fingerprint", "ssh_port", "ssh_user", "status", "updated_at" FROM "gateways";
DROP TABLE "gateways";
ALTER TABLE "new_gateways" RENAME TO "gateways";
CREATE UNIQUE INDEX "gateways_name_key" ON "gateways"("name");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;

-- CreateIndex
CREATE INDEX "alerts_fired_at_idx" ON "alerts"("fired_at");

-- CreateIndex
CREATE INDEX "alerts_rule_key_idx" ON "alerts"("rule", "key");
