-- AlterEnum
ALTER TYPE "key_protection" ADD VALUE 'tpm2';
