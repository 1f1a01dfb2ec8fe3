"""Industries for the synthetic province: GB/T 4754-2017 divisions with a work-injury risk class.

Illustrative, not authoritative: the risk classes follow the shape of the 2015 eight-class table
(人社部发〔2015〕71号: software and finance low, construction and mining high), assigned here by
division from memory; the weights (share of employers) and wage factors are invented so that the
demo province looks like a manufacturing-heavy coastal province. Pure data, no Django.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Industry:
    code: str
    """Section letter + two-digit division, e.g. ``"C39"``."""
    name_zh: str
    trade_word: str
    """What the company name says it does: ``南京恒达{trade_word}有限公司``."""
    risk_class: int
    weight: int
    """Relative share of employers in this division."""
    wage_factor_ppm: int
    """Median wage of the division relative to the province median, in ppm."""


INDUSTRIES: tuple[Industry, ...] = (
    Industry("A01", "农业", "农业发展", 4, 8, 700_000),
    Industry("A03", "畜牧业", "牧业", 4, 3, 700_000),
    Industry("A04", "渔业", "水产养殖", 4, 3, 720_000),
    Industry("B06", "煤炭开采和洗选业", "煤业", 8, 1, 1_300_000),
    Industry("B08", "黑色金属矿采选业", "矿业", 7, 1, 1_100_000),
    Industry("B10", "非金属矿采选业", "石材", 6, 2, 900_000),
    Industry("C13", "农副食品加工业", "食品", 3, 20, 850_000),
    Industry("C17", "纺织业", "纺织", 4, 35, 850_000),
    Industry("C18", "纺织服装、服饰业", "服饰", 3, 30, 800_000),
    Industry("C22", "造纸和纸制品业", "纸业", 4, 8, 900_000),
    Industry("C26", "化学原料和化学制品制造业", "化工", 5, 20, 1_100_000),
    Industry("C27", "医药制造业", "医药", 3, 10, 1_250_000),
    Industry("C29", "橡胶和塑料制品业", "塑胶", 4, 20, 900_000),
    Industry("C30", "非金属矿物制品业", "建材", 5, 15, 900_000),
    Industry("C31", "黑色金属冶炼和压延加工业", "钢铁", 5, 6, 1_150_000),
    Industry("C33", "金属制品业", "五金", 4, 35, 950_000),
    Industry("C34", "通用设备制造业", "机械", 3, 40, 1_000_000),
    Industry("C35", "专用设备制造业", "装备", 3, 25, 1_050_000),
    Industry("C36", "汽车制造业", "汽车部件", 3, 15, 1_100_000),
    Industry("C38", "电气机械和器材制造业", "电气", 3, 30, 1_050_000),
    Industry("C39", "计算机、通信和其他电子设备制造业", "电子", 3, 35, 1_100_000),
    Industry("D44", "电力、热力生产和供应业", "能源", 4, 3, 1_500_000),
    Industry("E47", "房屋建筑业", "建设工程", 5, 20, 1_000_000),
    Industry("E48", "土木工程建筑业", "路桥工程", 5, 10, 1_050_000),
    Industry("E50", "建筑装饰、装修和其他建筑业", "装饰工程", 5, 20, 900_000),
    Industry("F51", "批发业", "贸易", 2, 90, 950_000),
    Industry("F52", "零售业", "商贸", 2, 80, 800_000),
    Industry("G54", "道路运输业", "运输", 4, 20, 900_000),
    Industry("G55", "水上运输业", "航运", 4, 4, 1_000_000),
    Industry("G59", "装卸搬运和仓储业", "物流", 2, 15, 900_000),
    Industry("H61", "住宿业", "酒店管理", 2, 10, 750_000),
    Industry("H62", "餐饮业", "餐饮管理", 2, 40, 700_000),
    Industry("I64", "互联网和相关服务", "网络科技", 1, 15, 1_500_000),
    Industry("I65", "软件和信息技术服务业", "信息技术", 1, 35, 1_600_000),
    Industry("J66", "货币金融服务", "小额贷款", 1, 3, 1_800_000),
    Industry("J68", "保险业", "保险代理", 1, 4, 1_400_000),
    Industry("K70", "房地产业", "房地产开发", 3, 15, 1_150_000),
    Industry("L72", "商务服务业", "企业管理咨询", 2, 60, 1_000_000),
    Industry("M73", "研究和试验发展", "生物科技", 2, 10, 1_400_000),
    Industry("M74", "专业技术服务业", "检测技术", 2, 20, 1_250_000),
    Industry("N78", "公共设施管理业", "市政公用", 3, 4, 950_000),
    Industry("O80", "居民服务业", "家政服务", 2, 20, 700_000),
    Industry("O81", "机动车、电子产品和日用产品修理业", "汽车维修", 3, 15, 750_000),
    Industry("P83", "教育", "教育咨询", 2, 12, 1_200_000),
    Industry("Q84", "卫生", "医疗管理", 2, 8, 1_300_000),
    Industry("R88", "文化艺术业", "文化传媒", 2, 8, 950_000),
    Industry("S92", "国家机构", "", 1, 6, 1_250_000),
    Industry("S95", "群众团体、社会团体和其他成员组织", "", 1, 4, 900_000),
)

INDUSTRY_BY_CODE = {industry.code: industry for industry in INDUSTRIES}
