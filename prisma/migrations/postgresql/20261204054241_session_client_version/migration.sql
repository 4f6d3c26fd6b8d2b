-- AlterTable
ALTER TABLE "sessions" ADD COLUMN     "client_version" TEXT;
