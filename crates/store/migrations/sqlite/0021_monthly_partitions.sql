-- PostgreSQL partitions occurrences and the day aggregate by month (../postgres/0021_monthly_partitions.sql).
-- SQLite, one file on one machine, has no partitions: nothing changes here; the file keeps both histories
-- numbered alike.
SELECT 1;
