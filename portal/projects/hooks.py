"""What a project's page shows from the domains built on projects (needs answer to projects, volunteering
runs on them), asked without importing them: they register when create_app wires the domains."""
from portal.core.hooks import Hook

needs_answered = Hook("projects.needs_answered", "(project) -> [Need, ...]: the resident needs the project answers.")
volunteer_summary = Hook("projects.volunteer_summary",
                         "(project_id) -> {'volunteers': n, 'verified_minutes': m}: the project's volunteering.")
