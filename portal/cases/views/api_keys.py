"""Open311 API keys, for platform administrators: issue one (shown once) and revoke one."""
from flask import abort, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.cases import api_keys, loaders, policy
from portal.cases.views import bp
from portal.core.forms import BaseForm
from portal.core.policy import allowed_if
from portal.core.web import ButtonForm, button_action, done, submit_form


class ApiKeyForm(BaseForm):
    name = StringField(_l("Which system will use it"), validators=[DataRequired(), Length(max=api_keys.NAME_MAX)],
                       description=_l("For example: the district's 12345 hotline."))


@bp.route("/api-keys", methods=["GET", "POST"])
@allowed_if(policy.can_manage_api_keys)
def api_keys_page():
    form = ApiKeyForm()

    def issued(result):
        # the key is shown on this answer only (never flashed into a cookie, never stored): no redirect, no cache
        _key, raw = result
        response = make_response(_render(ApiKeyForm(formdata=None), 200, new_key=raw))
        response.headers["Cache-Control"] = "no-store"
        return response

    return submit_form(form, lambda: api_keys.issue_key(current_user, form.name.data), issued,
                       lambda status: _render(form, status))


def _render(form, status: int, new_key: str | None = None):
    return render_template("cases/api_keys.html", form=form, keys=api_keys.list_keys(), new_key=new_key,
                           open311_root=url_for("open311.services", fmt="json", _external=True).rsplit("/", 1)[0],
                           revoke_form=ButtonForm()), status


@bp.route("/api-keys/<int:key_id>/revoke", methods=["POST"])
@allowed_if(policy.can_manage_api_keys)
def revoke_api_key(key_id):
    # keys are platform-wide (allowed_if, a 403); the key only has to exist
    key = loaders.load_api_key(key_id)
    if key is None:
        abort(404)
    back = url_for("cases.api_keys_page")
    return button_action(lambda: api_keys.revoke_key(key, current_user),
                         lambda result: done(_("The key is revoked: it posts nothing any more."), back), back)
