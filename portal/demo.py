"""The demo city: `portal demo` loads places, users for every role and organisations. Idempotent."""
import click
from flask.cli import with_appcontext


@click.command("demo")
@with_appcontext
def demo_command():
    """Load (or top up) the demo city."""
    click.echo("demo data: nothing yet")
