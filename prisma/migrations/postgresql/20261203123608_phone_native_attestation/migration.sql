-- AlterTable
ALTER TABLE "mobile_devices" ADD COLUMN     "app_environment" TEXT,
ADD COLUMN     "app_id" TEXT,
ADD COLUMN     "app_signer" TEXT,
ADD COLUMN     "device_integrity" TEXT;
