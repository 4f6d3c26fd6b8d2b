-- RedefineTables
PRAGMA defer_foreign_keys=ON;
PRAGMA foreign_keys=OFF;
CREATE TABLE "new_users" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "username" TEXT NOT NULL,
    "role" TEXT NOT NULL,
    "password_hash" TEXT NOT NULL,
    "kdf_params" TEXT NOT NULL,
    "must_change_password" BOOLEAN NOT NULL DEFAULT true,
    "locked" BOOLEAN NOT NULL DEFAULT false,
    "locked_until" DATETIME,
    "failed_logins" INTEGER NOT NULL DEFAULT 0,
    "audit_id" TEXT NOT NULL,
    "totp_secret_sealed" TEXT,
    "totp_confirmed_at" DATETIME,
    "totp_last_step" INTEGER,
    "auth_epoch" INTEGER NOT NULL DEFAULT 0,
    "last_login_at" DATETIME,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" DATETIME NOT NULL
);
INSERT INTO "new_users" ("audit_id", "created_at", "failed_logins", "id", "kdf_params", "locked", "locked_until", "must_change_password", "password_hash", "role", "updated_at", "username") SELECT "audit_id", "created_at", "failed_logins", "id", "kdf_params", "locked", "locked_until", "must_change_password", "password_hash", "role", "updated_at", "username" FROM "users";
DROP TABLE "users";
ALTER TABLE "new_users" RENAME TO "users";
CREATE UNIQUE INDEX "users_username_key" ON "users"("username");
CREATE UNIQUE INDEX "users_audit_id_key" ON "users"("audit_id");
PRAGMA foreign_keys=ON;
PRAGMA defer_foreign_keys=OFF;
