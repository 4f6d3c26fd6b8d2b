-- AlterTable
ALTER TABLE "gateways" ADD COLUMN     "audit_seq" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "config_id" TEXT,
ADD COLUMN     "last_health_at" TIMESTAMP(3),
ADD COLUMN     "last_health_ok" BOOLEAN,
ADD COLUMN     "provisioned_at" TIMESTAMP(3),
ADD COLUMN     "settings" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "ssh_host" TEXT NOT NULL DEFAULT '',
ADD COLUMN     "ssh_port" INTEGER NOT NULL DEFAULT 2222,
ADD COLUMN     "ssh_user" TEXT NOT NULL DEFAULT 'root';
