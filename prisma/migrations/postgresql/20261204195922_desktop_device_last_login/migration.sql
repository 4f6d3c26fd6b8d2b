-- AlterTable
ALTER TABLE "desktop_devices" ADD COLUMN     "last_login_at" TIMESTAMP(3),
ADD COLUMN     "last_posture" TEXT;
