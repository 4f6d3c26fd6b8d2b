-- CreateTable
CREATE TABLE "audit_batches" (
    "batch" INTEGER NOT NULL,
    "first_seq" BIGINT NOT NULL,
    "last_seq" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "root" TEXT NOT NULL,
    "manifest" TEXT NOT NULL,
    "sealed_at" TIMESTAMP(3) NOT NULL,
    "archived_at" TIMESTAMP(3),

    CONSTRAINT "audit_batches_pkey" PRIMARY KEY ("batch")
);

-- CreateIndex
CREATE UNIQUE INDEX "audit_batches_first_seq_key" ON "audit_batches"("first_seq");

-- CreateIndex
CREATE UNIQUE INDEX "audit_batches_last_seq_key" ON "audit_batches"("last_seq");

-- CreateIndex
CREATE INDEX "audit_batches_archived_at_idx" ON "audit_batches"("archived_at");

-- Hand-written (Prisma does not model triggers): a sealed batch never changes. Only archived_at may
-- be set, once, when the WORM copy took the batch; rows are never deleted. The signatures detect
-- edits after the fact; these refuse them up front, as for audit_events. Keep them if a later
-- migration rebuilds the table.
CREATE FUNCTION "audit_batches_sealed"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Nested: a statement-level (TRUNCATE) or DELETE call has no NEW row to compare.
    IF TG_OP = 'UPDATE' THEN
        IF NEW."batch" = OLD."batch" AND NEW."first_seq" = OLD."first_seq"
            AND NEW."last_seq" = OLD."last_seq" AND NEW."count" = OLD."count"
            AND NEW."root" = OLD."root" AND NEW."manifest" = OLD."manifest"
            AND NEW."sealed_at" = OLD."sealed_at" AND OLD."archived_at" IS NULL THEN
            RETURN NEW;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_batches are sealed' USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER "audit_batches_no_update_delete" BEFORE UPDATE OR DELETE ON "audit_batches"
    FOR EACH ROW EXECUTE FUNCTION "audit_batches_sealed"();

CREATE TRIGGER "audit_batches_no_truncate" BEFORE TRUNCATE ON "audit_batches"
    FOR EACH STATEMENT EXECUTE FUNCTION "audit_batches_sealed"();
