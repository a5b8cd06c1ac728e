"""The Textual wizard: one screen per step of the migration, drawn from the engine's events.

The app (app.py) opens a plan, builds its Engine (session.py) and runs it in a thread worker;
an EventBridge (bridge.py) forwards each engine event into the app as a Textual message
(messages.py; progress, proxy stats, lag and drain ticks replace older ones of the same kind),
and the app folds them into a RunModel (model.py) that the current screen draws. Approvals
block the engine's thread, never the UI's, until the operator answers: in a dialog, or on the
step's own screen for the phases it lists in `ASKS` (Preview asks the preview's question under
the requests and findings it is about).

Steps and the phases each shows (steps.py): Plan (none), Preflight (preflight), Capture
(capture, snapshot), Preview (translate, preview), Convert (convert, replay), Verify (verify),
Cutover (switch, drain, cutover, final_replay), Summary (report).

What the screens read besides events (the engine's run state, wizard/core/run_state.py):

- ``ctx.run.translation``: a wizard.translate.model.Translation, set by translate.
  Preview draws its tree of kinds and requests, each request's JSON and its findings, and
  exports the dry-run files from it.
- ``ctx.run.drift``: a wizard.alcor.verify.Drift, set by verify.
- ``ctx.run.snapshot``: the Neutron snapshot; with it the dry-run export's
  summary.md accounts for every resource.
- The report phase's summary: ``files``, the report's paths (``a, b``); the preview's
  ``files``: its dry-run directory.

Phases assign each field once, complete: the UI thread reads it while the engine runs.

Events each screen draws: CheckChanged and FindingRaised (Preflight); ProxyStats,
WriteCaptured, LagChanged and snapshot's Progress (Capture); Progress of convert,
RequestFailed and LagChanged (Convert); DrainTick, WaveStarted, WaveFinished and NodeStep
(Cutover: the timeline is built from them); the phase events
everywhere. The cutover phase takes the operator's requests with
``ctx.take_requests("cutover")``: ``rollback`` (args: ``node``); postponing is a flag file
(``wizard.cutover.gate``).
"""
