-- The stage of the month's cycle when an IPEI run was saved (`open`, `partial`, `final`): an input of
-- the result like the data and the configuration, frozen beside them so that a replay recomputes the
-- whole result, stage included, instead of copying it from the stored bytes (`atalaia_core::pipeline`).
-- Runs saved before take the stage their result recorded.
-- Keep it logically identical to ../sqlite/0016_ipei_run_stage.sql.
ALTER TABLE ipei_runs ADD COLUMN stage TEXT;
UPDATE ipei_runs SET stage = result::jsonb ->> 'stage';
