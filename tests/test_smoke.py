"""The app starts and serves its home page in both languages."""


def test_home_page_in_chinese_by_default(client):
    response = client.get("/")
    assert response.status_code == 200
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_home_page_in_english_by_accept_language(client):
    response = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert 'lang="en"' in response.get_data(as_text=True)


def test_home_page_falls_back_to_chinese_when_the_browser_asks_for_neither(client):
    # README: with no choice made the language follows Accept-Language, falling back to zh-CN
    response = client.get("/", headers={"Accept-Language": "fr-FR,fr;q=0.9,de;q=0.5"})
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_a_chosen_language_beats_accept_language(client):
    client.get("/lang/en")
    response = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert 'lang="en"' in response.get_data(as_text=True)


def test_security_headers(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_unknown_page_is_a_localized_404(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 404
    assert "404" in response.get_data(as_text=True)


def test_form_action_allows_only_the_enabled_rails_checkout_origins():
    """Chrome holds the redirect that follows a form to form-action: the gift form's redirect to Stripe
    Checkout or Alipay's cashier must be allowed there, and nothing else."""
    from portal import _content_security_policy

    def form_action(providers, **config):
        policy = _content_security_policy({"PAYMENT_PROVIDERS": providers, **config})
        return next(part.strip() for part in policy.split(";") if part.strip().startswith("form-action"))

    assert form_action("sandbox,offline") == "form-action 'self'"
    assert form_action("stripe,offline") == "form-action 'self' https://checkout.stripe.com"
    assert form_action("alipay,wechatpay", ALIPAY_GATEWAY="https://openapi-sandbox.dl.alipaydev.com/gateway.do") == (
        "form-action 'self' https://openapi-sandbox.dl.alipaydev.com")
