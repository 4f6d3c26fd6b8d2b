-- CreateTable
CREATE TABLE "audit_batches" (
    "batch" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "first_seq" BIGINT NOT NULL,
    "last_seq" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "root" TEXT NOT NULL,
    "manifest" TEXT NOT NULL,
    "sealed_at" DATETIME NOT NULL,
    "archived_at" DATETIME
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_batches_first_seq_key" ON "audit_batches"("first_seq");

-- CreateIndex
CREATE UNIQUE INDEX "audit_batches_last_seq_key" ON "audit_batches"("last_seq");

-- CreateIndex
CREATE INDEX "audit_batches_archived_at_idx" ON "audit_batches"("archived_at");

-- Hand-written (Prisma does not model triggers): a sealed batch never changes. Only archived_at may
-- be set, once, when the WORM copy took the batch; rows are never deleted. The signatures detect
-- edits after the fact; these refuse them up front, as for audit_events. SQLite drops triggers with
-- their table, so a later migration that redefines audit_batches must create them again.
CREATE TRIGGER "audit_batches_sealed" BEFORE UPDATE OF "batch", "first_seq", "last_seq", "count", "root", "manifest", "sealed_at" ON "audit_batches"
BEGIN
    SELECT RAISE(ABORT, 'audit_batches are sealed');
END;

CREATE TRIGGER "audit_batches_archived_once" BEFORE UPDATE OF "archived_at" ON "audit_batches"
    WHEN OLD."archived_at" IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'audit_batches are sealed');
END;

CREATE TRIGGER "audit_batches_no_delete" BEFORE DELETE ON "audit_batches"
BEGIN
    SELECT RAISE(ABORT, 'audit_batches are sealed');
END;
