-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_desktop_devices" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "hpke_public_key" TEXT NOT NULL,
    "signing_public_key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "client_version" TEXT NOT NULL,
    "key_protection" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'pending_approval',
    "enrollment_token_id" TEXT,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approved_at" DATETIME,
    "revoked_at" DATETIME,
    "name" TEXT,
    "key_type" TEXT NOT NULL DEFAULT 'x25519_ed25519',
    CONSTRAINT "desktop_devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT "desktop_devices_enrollment_token_id_fkey" FOREIGN KEY ("enrollment_token_id") REFERENCES "enrollment_tokens" ("id") ON DELETE SET NULL ON UPDATE CASCADE
);
INSERT INTO "new_desktop_devices" ("approved_at", "client_version", "created_at", "enrollment_token_id", "fingerprint", "hpke_public_key", "id", "key_protection", "name", "platform", "revoked_at", "signing_public_key", "status", "user_id") SELECT "approved_at", "client_version", "created_at", "enrollment_token_id", "fingerprint", "hpke_public_key", "id", "key_protection", "name", "platform", "revoked_at", "signing_public_key", "status", "user_id" FROM "desktop_devices";
DROP TABLE "desktop_devices";
ALTER TABLE "new_desktop_devices" RENAME TO "desktop_devices";
CREATE UNIQUE INDEX "desktop_devices_fingerprint_key" ON "desktop_devices"("fingerprint");
CREATE INDEX "desktop_devices_user_id_status_idx" ON "desktop_devices"("user_id", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
