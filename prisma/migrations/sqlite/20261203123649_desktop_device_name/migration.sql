-- AlterTable
ALTER TABLE "desktop_devices" ADD COLUMN "name" TEXT;
