-- AlterTable
ALTER TABLE "users" ADD COLUMN     "auth_epoch" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "last_login_at" TIMESTAMP(3),
ADD COLUMN     "totp_confirmed_at" TIMESTAMP(3),
ADD COLUMN     "totp_last_step" INTEGER,
ADD COLUMN     "totp_secret_sealed" TEXT;
