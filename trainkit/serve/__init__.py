"""`trainkit serve`: the trainer's workbench in the browser, on the trainer's own machine.

- workbench.py: what the pages show, from the curriculum as last loaded (a Snapshot,
  reloaded whole when a watched file changes): lessons, the planner, previews made by
  the build's own `plan_pack`, translation status, and builds on warm workers.
- planner.py: a workshop being planned (profile, lessons added, dropped and ordered,
  times) → its lessons, agenda and budget, and the workshop file it saves as.
- guard.py: what every request must pass (Host, Origin, CSRF token, ids) and the
  headers every response gets (Content-Security-Policy with no remote source).
- events.py: the Server-Sent Events hub and the file watcher (watchfiles) that feeds it.
- app.py: the Flask routes, pages and JSON API; `serve()` runs it until Ctrl-C.
"""
