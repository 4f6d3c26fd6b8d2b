-- CreateTable
CREATE TABLE "device_spa_keys" (
    "device_id" TEXT NOT NULL PRIMARY KEY,
    "key_version" INTEGER NOT NULL DEFAULT 1,
    "sealed" TEXT NOT NULL,
    "created_at" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "device_spa_keys_device_id_fkey" FOREIGN KEY ("device_id") REFERENCES "desktop_devices" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);
