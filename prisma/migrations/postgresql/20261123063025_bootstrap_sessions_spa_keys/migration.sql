-- AlterEnum
ALTER TYPE "cert_profile" ADD VALUE 'vpn_client';

-- CreateTable
CREATE TABLE "device_spa_keys" (
    "device_id" TEXT NOT NULL,
    "key_version" INTEGER NOT NULL DEFAULT 1,
    "sealed" TEXT NOT NULL,
    "created_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "device_spa_keys_pkey" PRIMARY KEY ("device_id")
);

-- AddForeignKey
ALTER TABLE "device_spa_keys" ADD CONSTRAINT "device_spa_keys_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "desktop_devices"("id") ON DELETE CASCADE ON UPDATE CASCADE;
