-- CreateEnum
CREATE TYPE "device_key_type" AS ENUM ('x25519_ed25519', 'p256');

-- AlterTable
ALTER TABLE "desktop_devices" ADD COLUMN     "key_type" "device_key_type" NOT NULL DEFAULT 'x25519_ed25519';
