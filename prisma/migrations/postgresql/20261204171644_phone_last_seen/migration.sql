-- AlterTable
ALTER TABLE "mobile_devices" ADD COLUMN     "last_seen_at" TIMESTAMP(3);
