-- AlterEnum
ALTER TYPE "attestation_type" ADD VALUE 'webauthn';

-- AlterTable
ALTER TABLE "mobile_devices" ADD COLUMN     "aaguid" TEXT,
ADD COLUMN     "attestation_format" TEXT,
ADD COLUMN     "credential_id" TEXT,
ADD COLUMN     "credential_key" TEXT,
ADD COLUMN     "hardware_backed" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "sign_count" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "trust_root" TEXT,
ADD COLUMN     "user_verified" BOOLEAN NOT NULL DEFAULT false;

-- CreateIndex
CREATE UNIQUE INDEX "mobile_devices_credential_id_key" ON "mobile_devices"("credential_id");
