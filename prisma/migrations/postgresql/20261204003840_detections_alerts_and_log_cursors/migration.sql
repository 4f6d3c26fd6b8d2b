-- AlterTable
ALTER TABLE "gateways" ADD COLUMN     "log_cursors" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "alerts" (
    "id" TEXT NOT NULL,
    "rule" TEXT NOT NULL,
    "severity" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "summary" TEXT NOT NULL,
    "fields" TEXT NOT NULL DEFAULT '{}',
    "audit_seq" BIGINT,
    "fired_at" TIMESTAMP(3) NOT NULL,
    "acked_at" TIMESTAMP(3),
    "acked_by" TEXT,

    CONSTRAINT "alerts_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "alerts_fired_at_idx" ON "alerts"("fired_at");

-- CreateIndex
CREATE INDEX "alerts_rule_key_idx" ON "alerts"("rule", "key");
