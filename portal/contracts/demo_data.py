"""The contracts the demo's confirmed awards become (portal/contracts/demo.py), as data: last year's two
contracts delivered and rated (they feed this year's past-performance scores), this year's contest contracts
(one active with reports, a resident who denied the service, payments and the district bureau's out-of-scope
requests; one with a returned report and an amendment awaiting a second official; one terminated) and the
direct grant delivered and rated, its rating still open to rebuttal."""
from dataclasses import dataclass

from portal.procurement.demo_data import HONGYE, LINLI, WANSHOUQIAO, YANGGUANG, ZHONGYI

SECOND_OFFICIAL = ("official-district2", "王志明（西陵区民政局财务科）")

AREA_NARRATIVES = {
    5: "全面达到合同要求，服务记录完整，居民反映良好。",
    4: "总体达到要求，个别环节有延误或记录不全，已整改。",
    3: "基本达到要求，但存在明显不足，需在后续项目中改进。",
    2: "多项要求未达到，整改不及时。",
    1: "严重未达到合同要求。",
}


@dataclass(frozen=True)
class ContractPlan:
    state: str  # closed | active | completed | terminated
    shares: tuple[int, ...] = (30, 30, 40)  # milestones' payment shares in percent
    term_days: int = 330
    delivered: int = 3  # milestones reported, verified, accepted and paid
    acceptance: tuple[int, ...] = (5, 4, 4)  # the acceptance rating of each delivered milestone
    denials: int = 0  # sampled residents (per delivered report) who say the service did not happen
    official_rating: tuple[int, ...] = ()  # the five areas, by the buyer's official
    third_party_rating: tuple[int, ...] = ()  # by an evaluator over the place
    rebuttal: str = ""
    next_report_pending: bool = False  # a report of the next milestone awaits verification
    returned_report: str = ""  # the reason a report was returned
    payment_waiting: bool = False  # the last payment is requested, awaiting the second official
    amendment: tuple[str, int] = ("", 0)  # rationale, change in yuan
    scope_pattern: bool = False  # the department's requests, many outside the contract
    termination: str = ""


PLANS = {
    ("2025年西陵区居家养老上门服务", YANGGUANG): ContractPlan(
        "closed", acceptance=(5, 5, 4), official_rating=(5, 4, 4, 5, 5), third_party_rating=(4, 4, 5, 4, 5)),
    ("2025年西陵区困难群众个案帮扶服务", ZHONGYI): ContractPlan(
        "closed", acceptance=(4, 3, 2), denials=1, official_rating=(3, 3, 3, 2, 3),
        rebuttal="第三期部分服务对象搬迁，入户记录因此缺失；我们已补交社区证明，请在履约记录中一并说明。"),
    ("2026西陵区社区公益创投大赛", LINLI): ContractPlan(
        "active", delivered=1, acceptance=(4,), denials=1, next_report_pending=True, scope_pattern=True,
        amendment=("增加两个互助小组的培育场次，经费按原单价追加。", 7_200)),
    ("2026西陵区社区公益创投大赛", WANSHOUQIAO): ContractPlan(
        "active", delivered=0, returned_report="签到表与服务记录的日期对不上，请补充活动照片并更正日期后重新提交。",
        amendment=("扩大到两个街道实施，需增加小组培育场次。", 14_000)),
    ("2026西陵区社区公益创投大赛", HONGYE): ContractPlan(
        "terminated", delivered=0,
        termination="项目负责人离职，机构无法在约定期限内补足团队；双方协商一致终止合同，未发生付款。"),
    ("东山花园社区老年食堂运营直接资助", HONGYE): ContractPlan(
        "completed", shares=(100,), term_days=30, delivered=1, acceptance=(5,), official_rating=(5, 5, 4, 4, 5),
        rebuttal="成本控制一项：食材价格上涨超出预期，我们已用自筹资金补足，未增加合同金额。"),
}

SCOPE_REQUESTS = [  # (within the contract, side, description)
    (True, "department", "按合同开展第二季度互助小组骨干培训。"),
    (True, "department", "在重阳节组织互助小组开展敬老活动。"),
    (False, "department", "协助街道完成人口普查入户登记。"),
    (False, "department", "派两名社工到区民政局年度总结会布置会场。"),
    (False, "department", "帮忙整理社区低保台账并录入系统。"),
    (False, "department", "临时顶班社区服务大厅窗口一周。"),
    (False, "contractor", "社区要求我们代填每周的民政工作报表。"),
    (False, "contractor", "街道通知社工参加创文检查迎检值守。"),
]

RECORD_NAMES = ["王阿姨（3栋）", "李大爷（5栋）", "张奶奶（7栋）", "刘爷爷（2栋）", "陈阿姨（9栋）", "杨大爷（11栋）",
                "赵奶奶（4栋）", "黄爷爷（6栋）", "周阿姨（8栋）", "吴大爷（1栋）", "郑奶奶（10栋）", "孙爷爷（12栋）"]
