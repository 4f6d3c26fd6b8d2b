-- AlterTable
ALTER TABLE "mobile_devices" ADD COLUMN "app_environment" TEXT;
ALTER TABLE "mobile_devices" ADD COLUMN "app_id" TEXT;
ALTER TABLE "mobile_devices" ADD COLUMN "app_signer" TEXT;
ALTER TABLE "mobile_devices" ADD COLUMN "device_integrity" TEXT;
