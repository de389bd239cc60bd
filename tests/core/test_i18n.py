"""The request's catalogue looked up once (templates, gettext and lazy labels), and the helpers that
translate a page's repeated labels and links once."""
from flask import render_template_string, url_for
from flask_babel import force_locale, gettext, lazy_gettext
from wtforms import StringField
from wtforms.validators import DataRequired

from portal.core.formatting import translated, url_for_once
from portal.core.forms import BaseForm

ZH = {"Accept-Language": "zh-CN"}


def test_gettext_follows_force_locale_inside_a_request(app):
    with app.test_request_context("/", headers=ZH):
        assert gettext("Sign in") == "登录"
        with force_locale("en"):
            assert gettext("Sign in") == "Sign in"
            assert render_template_string("{{ _('Sign in') }}") == "Sign in"
        assert gettext("Sign in") == "登录"
        assert str(lazy_gettext("Sign in")) == "登录"
        assert render_template_string("{{ _('Sign in') }} {{ ngettext('%(num)d project', '%(num)d projects', 2) }}") \
            == "登录 2 个项目"


def test_template_gettext_still_escapes_and_formats(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        html = render_template_string("{{ _('to %(payee)s', payee=name) }}", name="<b>x</b>")
    assert html == "to &lt;b&gt;x&lt;/b&gt;"


def test_translated_labels_are_the_lazy_labels_as_text(app):
    labels = {"open": lazy_gettext("Sign in"), "closed": lazy_gettext("Register")}
    with app.test_request_context("/", headers=ZH):
        assert translated(labels) == {"open": "登录", "closed": "注册"}
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):  # a fresh g
        assert translated(labels) == {"open": "Sign in", "closed": "Register"}


def test_url_for_once_is_url_for(app):
    with app.test_request_context("/"):
        first = url_for_once("funds.campaign_detail", campaign_id=7)
        assert first == url_for("funds.campaign_detail", campaign_id=7)
        assert url_for_once("funds.campaign_detail", campaign_id=7) is first
        assert url_for_once("funds.campaign_detail", campaign_id=8) == url_for("funds.campaign_detail", campaign_id=8)


def test_wtforms_messages_are_in_the_page_language(app):
    class NameForm(BaseForm):
        name = StringField(validators=[DataRequired()])

    with app.test_request_context("/", method="POST", data={}, headers=ZH):
        form = NameForm(meta={"csrf": False})
        assert not form.validate()
        chinese = form.name.errors[0]
    with app.app_context(), app.test_request_context("/", method="POST", data={}, headers={"Accept-Language": "en"}):
        form = NameForm(meta={"csrf": False})
        assert not form.validate()
        english = form.name.errors[0]
    assert english == "This field is required."
    assert chinese != english and "必" in chinese


def test_template_translation_callables_keep_jinja_newstyle_rules(app):
    """_(), pgettext, ngettext and {% trans %} are called directly (portal/core/i18n.py _newstyle), not through
    jinja2.ext's two wrappers: the same results, escaping and %-formatting."""
    with app.test_request_context("/", headers=ZH):
        assert render_template_string("{{ pgettext('grid case', 'Open') }}") == "在办"
        assert render_template_string("{% trans %}Sign in{% endtrans %}") == "登录"
        assert render_template_string("{{ ngettext('%(num)d project', '%(num)d projects', 3) }}") == "3 个项目"
        # a text without variables is still a format string: "%%" is a percent sign, and the result is markup
        assert render_template_string("{{ _('100%%') }}") == "100%"
        assert render_template_string("{{ _('a & b') }}") == "a & b"  # translated text is trusted, as before
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):  # a fresh g
        environment = app.jinja_env.overlay(autoescape=False)  # a plain-text template (mail bodies)
        assert environment.from_string("{{ _('to %(payee)s', payee=name) }}").render(name="<b>") == "to <b>"


def test_a_list_of_names_is_joined_as_the_reader_language_joins_it(app):
    from portal.core.formatting import listed

    with app.app_context(), app.test_request_context("/", headers=ZH):
        assert listed(["微信支付", "支付宝"]) == "微信支付和支付宝"
    with app.app_context(), app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert listed(["WeChat Pay", "Alipay"]) == "WeChat Pay and Alipay"
