-- AlterTable
ALTER TABLE "desktop_devices" ADD COLUMN "last_login_at" DATETIME;
ALTER TABLE "desktop_devices" ADD COLUMN "last_posture" TEXT;
