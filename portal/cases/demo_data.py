"""The demo street's grid cases as data (portal/cases/demo.py walks them): the street, its handling departments,
the categories with their SLA clocks and the words people write at each step."""
from dataclasses import dataclass

STREET_NAME = "夜明珠街道"
DAYS = 30  # a month of cases
CASE_COUNT = 72

# the communities' centres (degrees) in 宜昌 西陵区, around 夜明珠路; points fall within ~250 m of them
COMMUNITY_CENTRES = {
    "铁路坝社区": (30.7035, 111.2905),
    "东山花园社区": (30.7082, 111.2986),
    "夜明珠社区": (30.6991, 111.2962),
    "珍珠路社区": (30.6954, 111.2878),
}
JITTER_DEGREES = 0.0024

# street departments that handle cases (created through the procurement catalogue service, by the street's official)
DEPARTMENTS = ("夜明珠街道城管执法中队", "夜明珠街道环卫所", "夜明珠街道市政设施维护站", "夜明珠街道综治中心")

# (local part, name, grid) — the demo's grid-worker@ holds 铁路坝社区第1网格 already
GRID_WORKERS = [
    ("grid-worker-tlb3", "陈晓红", "铁路坝社区第3网格"),
    ("grid-worker-dshy1", "刘建平", "东山花园社区第1网格"),
    ("grid-worker-ymz2", "杨丽萍", "夜明珠社区第2网格"),
    ("grid-worker-zzl1", "何志勇", "珍珠路社区第1网格"),
]
# (local part, name, community) — community-worker@ holds 铁路坝社区 already
COMMUNITY_WORKERS = [
    ("community-worker-dshy", "宋慧", "东山花园社区"),
    ("community-worker-ymz", "冯静", "夜明珠社区"),
    ("community-worker-zzl", "蒋涛", "珍珠路社区"),
]
CONTRACTED_ORGANISATION = "西陵区邻里家园社区服务中心"  # its active contract takes the greenery cases


@dataclass(frozen=True)
class DemoCategory:
    code: str
    name: str
    description: str
    department: str | None  # None: the contracted organisation
    accept_hours: int
    handle_hours: int
    feedback_hours: int
    is_public: bool
    weight: int  # how often it is reported
    titles: tuple[str, ...]
    handling: tuple[str, ...]


CATEGORIES = [
    DemoCategory("LDDW", "楼道堆物", "楼道、消防通道堆放杂物或停放电动车", DEPARTMENTS[0], 2, 48, 24, True, 5,
                 ("3栋2单元楼道堆满旧家具", "消防通道停了一排电动车", "楼梯间堆放纸箱和泡沫",
                  "楼道里有人在给电动车充电", "地下室入口堆放建筑垃圾"),
                 ("已通知住户三日内自行清理，到期后执法中队上门清运。", "已清理楼道杂物，张贴消防通道禁止堆物提示。")),
    DemoCategory("ZDJY", "占道经营", "流动摊贩、店外经营占用人行道或车行道", DEPARTMENTS[0], 2, 24, 24, True, 4,
                 ("夜明珠路菜市场门口摊贩占道", "烧烤店把桌子摆到人行道上", "早点摊占用盲道", "水果车停在路口卖货"),
                 ("已劝离流动摊贩，并引导进入便民疏导点。", "已约谈店主，签订门前三包责任书，桌椅已收回。")),
    DemoCategory("LDSH", "路灯损坏", "路灯不亮、灯杆倾斜或线路裸露", DEPARTMENTS[2], 4, 72, 24, True, 3,
                 ("小区后门三盏路灯不亮", "路灯杆被车撞歪了", "路灯线路裸露在外", "巷子里的路灯一直闪"),
                 ("已更换灯泡和镇流器，夜间巡查正常。", "已扶正灯杆并加固基础，裸露线路已包扎入管。")),
    DemoCategory("LJQY", "垃圾清运", "垃圾桶满溢、清运不及时、垃圾分类不到位", DEPARTMENTS[1], 2, 24, 12, True, 5,
                 ("垃圾桶满了两天没人收", "小区门口堆了一堆装修垃圾", "分类垃圾桶被混装", "菜市场后面垃圾发臭"),
                 ("已安排清运车当日清运，并增加该点位清运频次。", "已清运装修垃圾，提醒物业设置装修垃圾临时堆放点。")),
    DemoCategory("WZDJ", "违章搭建", "屋顶、阳台或公共空间的违法建设", DEPARTMENTS[0], 4, 168, 48, True, 2,
                 ("顶楼住户在楼顶加盖彩钢房", "一楼住户圈占绿地搭棚", "阳台外扩搭建铁架", "楼下空地新建了一间小屋"),
                 ("已下达限期拆除通知书，当事人已自行拆除。", "已会同社区组织拆除，恢复绿地原状。")),
    DemoCategory("ZYRM", "噪音扰民", "夜间施工、商铺外放、广场舞等噪音（涉及邻里，不公开）", DEPARTMENTS[3], 1, 24, 12,
                 False, 2,
                 ("楼上每晚十一点后还在装修", "商铺音箱外放声音太大", "广场舞音响太响影响休息", "夜间施工噪音"),
                 ("已上门劝导，当事人承诺晚十点后停止作业。", "已协调调整活动时间并降低音量，居民已认可。")),
    DemoCategory("JGQS", "井盖缺失", "窨井盖缺失、破损或松动，危及行人", DEPARTMENTS[2], 1, 12, 12, True, 2,
                 ("人行道上井盖不见了", "雨水井盖破了一个洞", "井盖松动踩上去会翻", "路口井盖下沉"),
                 ("已设置警示围挡并更换防坠井盖。", "已更换破损井盖并加装防坠网。")),
    DemoCategory("LHSH", "绿化损毁", "行道树、绿地被破坏或侵占", None, 4, 72, 24, True, 2,
                 ("行道树被人砍掉了枝干", "绿地被踩出一条路", "花坛被改成了菜地", "树木倒伏压住围墙"),
                 ("已补植绿篱并设置护栏。", "已修剪受损枝干、扶正树木，菜地已恢复为绿地。")),
]

FEEDBACK_NOTES = ("已处理完毕，请您查看现场，如仍有问题请在评价时说明。", "问题已解决，感谢您的反映。",
                  "已按您反映的情况处理，后续我们会加强巡查。")
VERIFY_NOTES = ("现场核查，问题已解决。", "已到现场复核，整改到位。", "回访居民，反映情况已处理。")
CLOSE_NOTES = ("核查属实，已办结。", "处置到位，予以结案。")
SATISFIED_COMMENTS = ("处理很快，谢谢！", "", "满意，希望以后多巡查。", "")
UNSATISFIED_COMMENTS = ("只清理了一半，楼道里还有东西。", "过了两天又恢复原样了。", "处理得不彻底，问题还在。")
SEND_BACK_NOTES = ("现场复核发现问题仍然存在，请重新处置。", "只处理了一部分，请继续处置。")
REJECT_REASONS = ("与已受理的案件重复，已合并处理。", "不属于网格事件受理范围，已告知居民拨打12345。")
ESCALATION_REASONS = ("涉及多个部门，街道难以单独解决，提请区级联合处置。", "当事人拒不整改，需区执法局介入。")
