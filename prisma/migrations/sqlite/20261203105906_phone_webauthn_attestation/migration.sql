-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_mobile_devices" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "user_id" TEXT NOT NULL,
    "platform" TEXT NOT NULL,
    "public_key" TEXT NOT NULL,
    "fingerprint" TEXT NOT NULL,
    "attestation_type" TEXT NOT NULL,
    "attestation_verdict" TEXT NOT NULL DEFAULT 'unknown',
    "attested_at" DATETIME,
    "attestation_format" TEXT,
    "aaguid" TEXT,
    "trust_root" TEXT,
    "hardware_backed" BOOLEAN NOT NULL DEFAULT false,
    "user_verified" BOOLEAN NOT NULL DEFAULT false,
    "credential_id" TEXT,
    "credential_key" TEXT,
    "sign_count" INTEGER NOT NULL DEFAULT 0,
    "rooted" BOOLEAN NOT NULL DEFAULT false,
    "emulator" BOOLEAN NOT NULL DEFAULT false,
    "mock_location" BOOLEAN NOT NULL DEFAULT false,
    "status" TEXT NOT NULL DEFAULT 'pending_approval',
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "approved_at" DATETIME,
    "revoked_at" DATETIME,
    CONSTRAINT "mobile_devices_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users" ("id") ON DELETE RESTRICT ON UPDATE CASCADE
);
INSERT INTO "new_mobile_devices" ("approved_at", "attestation_type", "attestation_verdict", "attested_at", "created_at", "emulator", "fingerprint", "id", "mock_location", "platform", "public_key", "revoked_at", "rooted", "status", "user_id") SELECT "approved_at", "attestation_type", "attestation_verdict", "attested_at", "created_at", "emulator", "fingerprint", "id", "mock_location", "platform", "public_key", "revoked_at", "rooted", "status", "user_id" FROM "mobile_devices";
DROP TABLE "mobile_devices";
ALTER TABLE "new_mobile_devices" RENAME TO "mobile_devices";
CREATE UNIQUE INDEX "mobile_devices_fingerprint_key" ON "mobile_devices"("fingerprint");
CREATE UNIQUE INDEX "mobile_devices_credential_id_key" ON "mobile_devices"("credential_id");
CREATE INDEX "mobile_devices_user_id_status_idx" ON "mobile_devices"("user_id", "status");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
