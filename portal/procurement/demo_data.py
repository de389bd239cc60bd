"""The demo purchasing year of 西陵区民政局 (the district civil-affairs bureau): what portal/procurement/demo.py
builds, as data. A catalogue of twelve items, six more bidding organisations beside the demo city's, and nine
calls across the four modes and every state of the lifecycle."""
from dataclasses import dataclass, field

BUYER_PLACE = "西陵区"
BUYER = "西陵区民政局"
STREET_BUYER_PLACE = "夜明珠街道"
STREET_BUYER = "夜明珠街道办事处"

# code, name, category, unit, ceiling in yuan, quality standard
CATALOGUE = [
    ("XL-01", "居家养老上门服务", "elderly_care", "hour", 45, "服务记录当日上传；每月回访；满意率不低于90%"),
    ("XL-02", "老年助餐配送", "elderly_care", "visit", 15, "餐食符合食品安全标准，准时送达率不低于95%"),
    ("XL-03", "失能老人长期照护", "elderly_care", "person_month", 2800, "护理员持证上岗，照护计划每季度评估"),
    ("XL-04", "儿童课后托管（四点半课堂）", "children_youth", "session", 300, "师生比不低于1:10，安全台账完整"),
    ("XL-05", "青少年心理辅导", "mental_health", "session", 200, "由持证心理咨询师或社工开展，个案有记录"),
    ("XL-06", "困难群众个案帮扶", "social_assistance", "person_month", 600, "一户一档，帮扶计划与结案评估齐全"),
    ("XL-07", "残疾人社区康复训练", "disability", "session", 150, "康复计划由康复师制定，每季度评估进展"),
    ("XL-08", "辅助性就业指导", "employment", "hour", 80, "参与者就业意向有记录，三个月跟踪回访"),
    ("XL-09", "社区心理健康讲座", "mental_health", "session", 800, "讲师具备资质，每场参与人数不少于30人"),
    ("XL-10", "邻里互助小组培育", "mutual_aid", "session", 1200, "小组有章程和活动记录，半年内能自主运作"),
    ("XL-11", "楼栋安全巡查", "community_safety", "visit", 30, "巡查记录附照片，隐患48小时内上报"),
    ("XL-12", "垃圾分类督导", "environment", "hour", 35, "督导员定时定点在岗，准确投放率按月统计"),
]


@dataclass(frozen=True)
class Bidder:
    name: str
    home: str  # a community of the demo city
    areas: tuple[str, ...]
    admin: str  # demo user local part (bidder-...), created with the demo password
    admin_name: str
    description: str


BIDDERS = [
    Bidder("宜昌市西陵区乐龄社会工作服务中心", "铁路坝社区", ("elderly_care", "social_assistance"), "bidder-leling",
           "胡乐龄", "专注社区居家养老和长者个案管理，运营两个街道的长者服务站。"),
    Bidder("宜昌市西陵区众益社会工作服务社", "学院路社区", ("social_assistance", "mental_health", "elderly_care"),
           "bidder-zhongyi", "郭众益", "为低保、特困家庭提供个案帮扶、资源链接和心理支持。"),
    Bidder("宜昌市童心儿童发展服务中心", "东山花园社区", ("children_youth", "mental_health"), "bidder-tongxin",
           "林童心", "开展四点半课堂、暑期托管与亲子教育，重点服务双职工和留守家庭。"),
    Bidder("宜昌市康途残障康复服务中心", "学院路社区", ("disability", "employment"), "bidder-kangtu",
           "罗康途", "为残障人士提供社区康复训练、辅具适配和辅助性就业。"),
    Bidder("西陵区邻里家园社区服务中心", "万寿桥社区", ("mutual_aid", "community_safety", "environment"),
           "bidder-linli", "梁邻里", "培育居民互助小组，开展楼栋安全巡查和垃圾分类督导。"),
    Bidder("宜昌市安馨居家养老服务中心", "夷陵路社区", ("elderly_care",), "bidder-anxin",
           "谢安馨", "提供助餐、助洁、助浴和失能老人照护，有自营中央厨房。"),
]

EVALUATORS = [("evaluator2", "冯文静（评审专家）"), ("evaluator3", "蒋国华（评审专家）")]


@dataclass(frozen=True)
class DemoBid:
    bidder: str  # organisation name
    price_yuan: int
    lot: int = 1
    hours: int = 0  # staff hours in the cost breakdown (0: a share of the price)
    rate_yuan: int = 40
    withdrawn: bool = False
    quality: tuple[int, ...] = (4, 4)  # points 0-5 per quality criterion, as the panel tends to score it
    votes: int = 0  # roadshow votes (contests)


@dataclass(frozen=True)
class DemoLot:
    title: str
    cap_yuan: int
    lines: tuple[tuple[str, int], ...]  # catalogue code, quantity
    max_awards: int = 1


@dataclass(frozen=True)
class DemoCall:
    title: str
    mode: str
    category: str
    state: str  # the lifecycle state the demo leaves it in
    place: str
    lots: tuple[DemoLot, ...]
    bids: tuple[DemoBid, ...] = ()
    floor_share: float = 0.6  # price floor as a share of the cap
    min_bids: int = 2
    needs: tuple[str, ...] = ()  # titles of demo needs it answers
    no_need_reason: str = ""
    consultation: str = ""
    quality: tuple[tuple[str, int, str], ...] = (
        ("服务方案与需求分析", 30, "5 需求分析扎实、方案针对性强；3 方案完整但针对性一般；1 方案空泛"),
        ("团队与管理能力", 20, "5 团队资质齐全、分工清晰；3 基本满足；1 人员不足或资质不符"),
        ("绩效指标与可测量性", 15, "5 指标具体可测、与需求对应；3 有指标但不够具体；1 无可测指标"),
    )
    price_weight: int = 25
    past_performance_weight: int = 10
    roadshow_weight: int = 0
    invited: str = ""  # direct grant: the invited organisation
    description: str = ""
    questions: tuple[tuple[str, str], ...] = ()  # question, answer ("" = not yet answered)
    amendment: str = ""  # a revision summary (the amendment extends the questions period)
    conflict: tuple[str, str] = ("", "")  # (evaluator local part, organisation name) declared conflicted
    low_price_note: str = ""  # the abnormally-low bidder's explanation
    objection: str = ""  # grounds of an objection filed in publicity
    eligibility: str = field(default="在西陵区民政局承接主体目录内、具有相应服务领域资格的社会组织；近两年无不良记录。")
    days: tuple[int, int] | None = None  # (published, deadline) days ago, when not the state's usual ones


LELING, ZHONGYI, TONGXIN, KANGTU, LINLI, ANXIN = (bidder.name for bidder in BIDDERS)
YANGGUANG = "宜昌市西陵区阳光社会工作服务中心"
LAONIAN = "夜明珠街道老年协会"
CHUNHUI = "宜昌市伍家岗区春晖青少年服务中心"
ZHUCAN = "西陵区爱心助残服务社"
HONGYE = "宜昌市西陵区红叶社区基金会"
WANSHOUQIAO = "万寿桥街道志愿者协会"

CALLS = [
    # last year's calls, delivered and rated (portal/contracts/demo.py): this year's rankings read their ratings
    DemoCall(
        "2025年西陵区居家养老上门服务", "open_tender", "elderly_care", "confirmed", "西陵区",
        lots=(DemoLot("全区", 450_000, (("XL-01", 10000),)),),
        bids=(DemoBid(YANGGUANG, 420_000, hours=9000, quality=(5, 5, 4)),
              DemoBid(LELING, 430_000, hours=9000, quality=(4, 4, 4)),
              DemoBid(ANXIN, 405_000, hours=9000, quality=(3, 4, 3))),
        days=(400, 375), no_need_reason="2025年度为老服务购买计划（区人大议案办理）。",
        description="为全区独居、空巢和失能老人提供上门探访、助洁和陪诊服务。",
    ),
    DemoCall(
        "2025年西陵区困难群众个案帮扶服务", "open_tender", "social_assistance", "confirmed", "西陵区",
        lots=(DemoLot("全区", 320_000, (("XL-06", 540),)),),
        bids=(DemoBid(ZHONGYI, 300_000, hours=5600, quality=(4, 4, 3)),
              DemoBid(YANGGUANG, 310_000, hours=5600, quality=(3, 4, 3)),
              DemoBid(LINLI, 290_000, hours=5400, quality=(3, 3, 3))),
        days=(395, 370), no_need_reason="落实《湖北省社会救助条例》：社会救助服务由区民政局统一购买。",
        description="为低保、特困和低收入家庭提供个案帮扶，一户一档。",
    ),
    DemoCall(
        "西陵区2026年下半年居家养老上门服务", "open_tender", "elderly_care", "published", "西陵区",
        lots=(DemoLot("第1包：夜明珠街道", 520_000, (("XL-01", 10000), ("XL-02", 6000))),
              DemoLot("第2包：西陵街道", 380_000, (("XL-01", 9000),))),
        bids=(DemoBid(YANGGUANG, 468_000, hours=9000), DemoBid(LELING, 495_000, hours=9000),
              DemoBid(ANXIN, 352_000, lot=2, hours=7000)),
        needs=("独居老人需要有人定期看看", "独居老人吃饭难，希望有老年食堂"),
        description="为辖区独居、空巢和失能半失能老人提供上门探访、助洁、助浴和助餐配送服务，分两个标包。",
        questions=(("第1包的助餐配送是否包含餐费？", "不包含。报价只含配送服务，餐费由老人按社区老年食堂标准自付。"),
                   ("护理员是否必须持有养老护理员职业技能等级证书？", "")),
        amendment="按答疑补充：第1包助餐配送报价不含餐费；增加“每月回访记录”的质量要求。",
    ),
    DemoCall(
        "2027年度社区心理健康服务", "open_tender", "mental_health", "draft", "西陵区",
        lots=(DemoLot("全区", 300_000, (("XL-09", 150), ("XL-05", 900))),),
        consultation="2026年11月西陵区居民议事会：心理健康服务列为来年优先购买事项。",
        description="面向全区居民开展心理健康讲座和青少年心理辅导。",
    ),
    DemoCall(
        "四点半课堂项目申请", "application_call", "children_youth", "closed", "西陵区",
        lots=(DemoLot("四点半课堂", 240_000, (("XL-04", 800),), max_awards=2),),
        bids=(DemoBid(TONGXIN, 108_000, hours=1400), DemoBid(CHUNHUI, 116_000, hours=1500),
              DemoBid(YANGGUANG, 112_000, hours=1450), DemoBid(ZHONGYI, 98_000, hours=1300),
              DemoBid(LINLI, 120_000, hours=1500, withdrawn=True)),
        needs=("孩子放学后没人管",),
        description="支持社会组织在社区开展四点半课堂，每个项目服务一至两个社区，可资助两个项目。",
    ),
    DemoCall(
        "西陵区困难群众个案帮扶服务", "open_tender", "social_assistance", "evaluation", "西陵区",
        lots=(DemoLot("全区", 360_000, (("XL-06", 600),)),),
        bids=(DemoBid(ZHONGYI, 318_000, hours=6000, quality=(5, 4, 4)),
              DemoBid(YANGGUANG, 326_000, hours=6000, quality=(4, 5, 4)),
              DemoBid(LELING, 305_000, hours=6000, quality=(4, 3, 4)),
              DemoBid(ANXIN, 332_000, hours=6200, quality=(3, 3, 3)),
              DemoBid(LINLI, 298_000, hours=5800, quality=(3, 4, 3)),
              DemoBid(KANGTU, 168_000, hours=5200, rate_yuan=22, quality=(3, 3, 2))),
        needs=(),
        no_need_reason="落实《湖北省社会救助条例》：街道社会救助服务由区民政局统一购买，属法定保障事项。",
        description="为低保、特困和低收入家庭提供个案帮扶、资源链接和心理支持，一户一档。",
        conflict=("evaluator2", LELING),
        low_price_note="本机构有6名社工由市残联公益岗位补贴全额发放工资，不计入本项目人工成本；"
                       "场地由学院路社区无偿提供。附件为公益岗位批复。",
    ),
    DemoCall(
        "夜明珠街道助残康复服务", "open_tender", "disability", "awarded", "夜明珠街道",
        lots=(DemoLot("夜明珠街道", 180_000, (("XL-07", 1200),)),),
        bids=(DemoBid(KANGTU, 158_000, hours=2600, quality=(5, 4, 5)),
              DemoBid(ZHUCAN, 149_000, hours=2500, quality=(4, 4, 4)),
              DemoBid(ZHONGYI, 171_000, hours=2800, quality=(3, 4, 3)),
              DemoBid(LINLI, 176_000, hours=2700, quality=(3, 3, 3))),
        needs=("老人去医院没人陪",),
        objection="中标人的康复师人数与投标文件附件不一致，请核实其团队资质。",
    ),
    DemoCall(
        "2026西陵区社区公益创投大赛", "contest", "mutual_aid", "confirmed", "西陵区",
        lots=(DemoLot("公益创投", 240_000, (("XL-10", 200),), max_awards=3),),
        bids=(DemoBid(LINLI, 78_000, hours=900, quality=(5, 4, 4), votes=9),
              DemoBid(WANSHOUQIAO, 62_000, hours=800, quality=(4, 4, 4), votes=7),
              DemoBid(HONGYE, 80_000, hours=900, quality=(4, 5, 4), votes=5),
              DemoBid(LAONIAN, 45_000, hours=600, quality=(4, 3, 3), votes=4),
              DemoBid(YANGGUANG, 72_000, hours=850, quality=(3, 4, 4), votes=2),
              DemoBid(TONGXIN, 58_000, hours=700, quality=(3, 3, 3), votes=1),
              DemoBid(ZHONGYI, 66_000, hours=750, quality=(3, 3, 4), votes=1),
              DemoBid(ANXIN, 70_000, hours=800, quality=(2, 3, 3), votes=1)),
        needs=("希望组织老人互相照应", "理发要跑很远，老人不方便"),
        quality=(("项目创新性", 20, "5 模式新颖、可复制；3 有一定新意；1 照搬已有项目"),
                 ("居民参与度", 20, "5 居民全程参与设计与实施；3 居民参与部分环节；1 居民仅是服务对象"),
                 ("可持续性", 10, "5 有明确的自我造血或接续方案；3 有初步设想；1 完全依赖资助")),
        price_weight=20, past_performance_weight=0, roadshow_weight=30,
        description="面向社区社会组织征集邻里互助项目，评审专家打分与居民路演投票相结合，资助三个项目。",
    ),
    DemoCall(
        "东山花园社区老年食堂运营直接资助", "direct_grant", "elderly_care", "confirmed",
        "东山花园社区", lots=(DemoLot("老年食堂", 96_000, (("XL-02", 6400),)),),
        bids=(DemoBid(HONGYE, 88_000, hours=1600, quality=(4, 4, 4)),),
        min_bids=1, invited=HONGYE,
        consultation="2026年3月东山花园社区居民议事会协商：老年食堂继续运营并扩大配送范围。",
        description="红叶社区基金会已在东山花园社区运营老年食堂两年，本年度直接资助其助餐配送服务。",
    ),
    DemoCall(
        "西陵区垃圾分类督导服务", "open_tender", "environment", "unsuccessful", "西陵区",
        lots=(DemoLot("全区", 150_000, (("XL-12", 4300),)),),
        bids=(DemoBid(LINLI, 138_000, hours=3000),), min_bids=3,
        needs=("垃圾分类不知道怎么分",),
        description="在全区小区投放点开展定时定点督导。",
    ),
    DemoCall(
        "西陵区楼栋安全巡查服务", "open_tender", "community_safety", "cancelled", "西陵区",
        lots=(DemoLot("全区", 200_000, (("XL-11", 6700),)),),
        needs=("3栋楼道堆满杂物，有消防隐患",),
        description="组织巡查员开展楼栋消防通道、电动车充电等隐患巡查。",
    ),
]
CANCEL_REASON = "区财政年中预算调整，本项目改由应急管理局统一采购；已提交的问题和文件不再处理。"
