"""Command-line entry point: `portal <command>` (also `flask --app wsgi <command>`)."""
import click
from flask.cli import FlaskGroup, with_appcontext

from portal.extensions import db


def _create_app():
    from portal import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app)
def main():
    """Community portal management commands."""


@click.command("create-admin")
@click.option("--email", prompt=True)
@click.option("--name", "display_name", default="Administrator", show_default=True)
@click.password_option()
@with_appcontext
def create_admin_command(email, display_name, password):
    """Create the first platform administrator (or promote an existing account)."""
    from portal.accounts.service import create_admin
    from portal.core.errors import DomainError

    try:
        user = create_admin(email, password, display_name)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from error
    db.session.commit()
    click.echo(f"platform administrator: {user.email}")


def register_commands(app) -> None:
    app.cli.add_command(create_admin_command)
    from portal.demo import demo_command

    app.cli.add_command(demo_command)
    from portal.volunteering.cli import volunteering_group

    app.cli.add_command(volunteering_group)
    from portal.funds.cli import register as register_funds_commands

    register_funds_commands(app)
    from portal.payments.cli import register as register_payments_commands

    register_payments_commands(app)
    from portal.procurement.cli import procurement_group

    app.cli.add_command(procurement_group)
    from portal.opendata.cli import opendata_group

    app.cli.add_command(opendata_group)
    from portal.worker import worker_command

    app.cli.add_command(worker_command)
