"""GB/T 2260 administrative division codes for Jiangsu, versioned (law and policy are data, rule 5).

One row per version of a code: ``(code, name_zh, name_en, valid_from, valid_to, illustrative)``.
Validity is half-open ``[valid_from, valid_to)``; ``valid_from=None`` means "in force since before
the earliest change this table records", ``valid_to=None`` means "still in force". A code whose name
changed without a change of code (郊区 → 新北区) has two rows.

Dates are those of the State Council (or, for renamings, the provincial) approval. Where only the
month of the change is known the date is the first of that month and the row is marked
``illustrative=True``: the code and names are real, the exact day is not confirmed. Codes that were
abolished stay in the table because identity numbers issued before the change still carry them
(DOMAIN.md §9). City-level "市辖区" codes (320101 …) are not listed.

Sources: the GB/T 2260 code lists as published by the Ministry of Civil Affairs, and press reports
of the approvals (e.g. 国函〔2013〕24号 for Nanjing 2013).
"""

from __future__ import annotations

from datetime import date
from typing import Final

RegionRow = tuple[str, str, str, date | None, date | None, bool]

# Change dates, named once so that the abolished and the new rows of one change cannot disagree.
NANJING_2000 = date(2000, 12, 1)  # 江宁县 → 江宁区
NANJING_2002 = date(2002, 4, 1)  # 江浦县 into 浦口区; 六合县 and 大厂区 → 六合区
NANJING_2013 = date(2013, 2, 1)  # 国函〔2013〕24号: 白下 into 秦淮, 下关 into 鼓楼, 溧水/高淳 → 区
WUXI_2000 = date(2000, 12, 1)  # 锡山市 → 锡山区 + 惠山区; 郊区 and 马山区 → 滨湖区
WUXI_2015 = date(2015, 10, 13)  # 崇安, 南长, 北塘 → 梁溪区; 新吴区 set up
XUZHOU_2010 = date(2010, 9, 1)  # 铜山县 → 铜山区; 九里区 abolished
CHANGZHOU_2002 = date(2002, 4, 1)  # 武进市 → 武进区; 郊区 renamed 新北区
CHANGZHOU_2015 = date(2015, 4, 28)  # 戚墅堰区 into 武进区; 金坛市 → 金坛区
SUZHOU_2000_SEPTEMBER = date(2000, 9, 1)  # 郊区 renamed 虎丘区 (new code 320505)
SUZHOU_2000_DECEMBER = date(2000, 12, 1)  # 吴县市 → 吴中区 + 相城区
SUZHOU_2012 = date(2012, 9, 1)  # 沧浪, 平江, 金阊 → 姑苏区; 吴江市 → 吴江区
NANTONG_2009 = date(2009, 4, 1)  # 通州市 → 通州区
NANTONG_2018 = date(2018, 2, 1)  # 海安县 → 海安市
NANTONG_2020 = date(2020, 5, 1)  # 崇川 and 港闸 → 崇川区 (new code 320613); 海门市 → 海门区
LIANYUNGANG_2001 = date(2001, 12, 1)  # 云台区 abolished
LIANYUNGANG_2014 = date(2014, 6, 1)  # 新浦区 into 海州区; 赣榆县 → 赣榆区
HUAIAN_2001 = date(2001, 2, 1)  # 淮阴市 renamed 淮安市; 淮阴县 → 淮阴区; county-level 淮安市 → 楚州区
HUAIAN_2012 = date(2012, 1, 1)  # 楚州区 renamed 淮安区
HUAIAN_2016 = date(2016, 7, 1)  # 清河 and 清浦 → 清江浦区; 洪泽县 → 洪泽区
YANCHENG_2003 = date(2003, 12, 1)  # 城区 renamed 亭湖区; 盐都县 → 盐都区
YANCHENG_2015 = date(2015, 7, 1)  # 大丰市 → 大丰区
YANGZHOU_2000 = date(2000, 12, 1)  # 邗江县 → 邗江区
YANGZHOU_2002 = date(2002, 4, 1)  # 郊区 renamed 维扬区
YANGZHOU_2011 = date(2011, 11, 1)  # 维扬区 into 邗江区; 江都市 → 江都区
ZHENJIANG_2002 = date(2002, 4, 1)  # 丹徒县 → 丹徒区
TAIZHOU_2012 = date(2012, 12, 1)  # 姜堰市 → 姜堰区
SUQIAN_2004 = date(2004, 2, 1)  # 宿豫县 → 宿豫区

PROVINCE_ROWS: Final[tuple[RegionRow, ...]] = (("320000", "江苏省", "Jiangsu Province", None, None, False),)

CITY_ROWS: Final[tuple[RegionRow, ...]] = (
    ("320100", "南京市", "Nanjing City", None, None, False),
    ("320200", "无锡市", "Wuxi City", None, None, False),
    ("320300", "徐州市", "Xuzhou City", None, None, False),
    ("320400", "常州市", "Changzhou City", None, None, False),
    ("320500", "苏州市", "Suzhou City", None, None, False),
    ("320600", "南通市", "Nantong City", None, None, False),
    ("320700", "连云港市", "Lianyungang City", None, None, False),
    ("320800", "淮阴市", "Huaiyin City", None, HUAIAN_2001, True),
    ("320800", "淮安市", "Huai'an City", HUAIAN_2001, None, True),
    ("320900", "盐城市", "Yancheng City", None, None, False),
    ("321000", "扬州市", "Yangzhou City", None, None, False),
    ("321100", "镇江市", "Zhenjiang City", None, None, False),
    ("321200", "泰州市", "Taizhou City", None, None, False),
    ("321300", "宿迁市", "Suqian City", None, None, False),
)

COUNTY_ROWS: Final[tuple[RegionRow, ...]] = (
    # 南京 Nanjing
    ("320102", "玄武区", "Xuanwu District", None, None, False),
    ("320103", "白下区", "Baixia District", None, NANJING_2013, True),
    ("320104", "秦淮区", "Qinhuai District", None, None, False),
    ("320105", "建邺区", "Jianye District", None, None, False),
    ("320106", "鼓楼区", "Gulou District", None, None, False),
    ("320107", "下关区", "Xiaguan District", None, NANJING_2013, True),
    ("320111", "浦口区", "Pukou District", None, None, False),
    ("320112", "大厂区", "Dachang District", None, NANJING_2002, True),
    ("320113", "栖霞区", "Qixia District", None, None, False),
    ("320114", "雨花台区", "Yuhuatai District", None, None, False),
    ("320115", "江宁区", "Jiangning District", NANJING_2000, None, True),
    ("320116", "六合区", "Luhe District", NANJING_2002, None, True),
    ("320117", "溧水区", "Lishui District", NANJING_2013, None, True),
    ("320118", "高淳区", "Gaochun District", NANJING_2013, None, True),
    ("320121", "江宁县", "Jiangning County", None, NANJING_2000, True),
    ("320122", "江浦县", "Jiangpu County", None, NANJING_2002, True),
    ("320123", "六合县", "Luhe County", None, NANJING_2002, True),
    ("320124", "溧水县", "Lishui County", None, NANJING_2013, True),
    ("320125", "高淳县", "Gaochun County", None, NANJING_2013, True),
    # 无锡 Wuxi
    ("320202", "崇安区", "Chong'an District", None, WUXI_2015, False),
    ("320203", "南长区", "Nanchang District", None, WUXI_2015, False),
    ("320204", "北塘区", "Beitang District", None, WUXI_2015, False),
    ("320205", "锡山区", "Xishan District", WUXI_2000, None, True),
    ("320206", "惠山区", "Huishan District", WUXI_2000, None, True),
    ("320211", "郊区", "Jiaoqu (Suburban) District", None, WUXI_2000, True),
    ("320211", "滨湖区", "Binhu District", WUXI_2000, None, True),
    ("320212", "马山区", "Mashan District", None, WUXI_2000, True),
    ("320213", "梁溪区", "Liangxi District", WUXI_2015, None, False),
    ("320214", "新吴区", "Xinwu District", WUXI_2015, None, False),
    ("320281", "江阴市", "Jiangyin City", None, None, False),
    ("320282", "宜兴市", "Yixing City", None, None, False),
    ("320283", "锡山市", "Xishan City", None, WUXI_2000, True),
    # 徐州 Xuzhou
    ("320302", "鼓楼区", "Gulou District", None, None, False),
    ("320303", "云龙区", "Yunlong District", None, None, False),
    ("320304", "九里区", "Jiuli District", None, XUZHOU_2010, True),
    ("320305", "贾汪区", "Jiawang District", None, None, False),
    ("320311", "泉山区", "Quanshan District", None, None, False),
    ("320312", "铜山区", "Tongshan District", XUZHOU_2010, None, True),
    ("320321", "丰县", "Feng County", None, None, False),
    ("320322", "沛县", "Pei County", None, None, False),
    ("320323", "铜山县", "Tongshan County", None, XUZHOU_2010, True),
    ("320324", "睢宁县", "Suining County", None, None, False),
    ("320381", "新沂市", "Xinyi City", None, None, False),
    ("320382", "邳州市", "Pizhou City", None, None, False),
    # 常州 Changzhou
    ("320402", "天宁区", "Tianning District", None, None, False),
    ("320404", "钟楼区", "Zhonglou District", None, None, False),
    ("320405", "戚墅堰区", "Qishuyan District", None, CHANGZHOU_2015, False),
    ("320411", "郊区", "Jiaoqu (Suburban) District", None, CHANGZHOU_2002, True),
    ("320411", "新北区", "Xinbei District", CHANGZHOU_2002, None, True),
    ("320412", "武进区", "Wujin District", CHANGZHOU_2002, None, True),
    ("320413", "金坛区", "Jintan District", CHANGZHOU_2015, None, False),
    ("320481", "溧阳市", "Liyang City", None, None, False),
    ("320482", "金坛市", "Jintan City", None, CHANGZHOU_2015, False),
    ("320483", "武进市", "Wujin City", None, CHANGZHOU_2002, True),
    # 苏州 Suzhou
    ("320502", "沧浪区", "Canglang District", None, SUZHOU_2012, True),
    ("320503", "平江区", "Pingjiang District", None, SUZHOU_2012, True),
    ("320504", "金阊区", "Jinchang District", None, SUZHOU_2012, True),
    ("320505", "虎丘区", "Huqiu District", SUZHOU_2000_SEPTEMBER, None, True),
    ("320506", "吴中区", "Wuzhong District", SUZHOU_2000_DECEMBER, None, True),
    ("320507", "相城区", "Xiangcheng District", SUZHOU_2000_DECEMBER, None, True),
    ("320508", "姑苏区", "Gusu District", SUZHOU_2012, None, True),
    ("320509", "吴江区", "Wujiang District", SUZHOU_2012, None, True),
    ("320511", "郊区", "Jiaoqu (Suburban) District", None, SUZHOU_2000_SEPTEMBER, True),
    ("320581", "常熟市", "Changshu City", None, None, False),
    ("320582", "张家港市", "Zhangjiagang City", None, None, False),
    ("320583", "昆山市", "Kunshan City", None, None, False),
    ("320584", "吴江市", "Wujiang City", None, SUZHOU_2012, True),
    ("320585", "太仓市", "Taicang City", None, None, False),
    ("320586", "吴县市", "Wuxian City", None, SUZHOU_2000_DECEMBER, True),
    # 南通 Nantong
    ("320602", "崇川区", "Chongchuan District", None, NANTONG_2020, True),
    ("320611", "港闸区", "Gangzha District", None, NANTONG_2020, True),
    ("320612", "通州区", "Tongzhou District", NANTONG_2009, None, True),
    ("320613", "崇川区", "Chongchuan District", NANTONG_2020, None, True),
    ("320614", "海门区", "Haimen District", NANTONG_2020, None, True),
    ("320621", "海安县", "Hai'an County", None, NANTONG_2018, True),
    ("320623", "如东县", "Rudong County", None, None, False),
    ("320681", "启东市", "Qidong City", None, None, False),
    ("320682", "如皋市", "Rugao City", None, None, False),
    ("320683", "通州市", "Tongzhou City", None, NANTONG_2009, True),
    ("320684", "海门市", "Haimen City", None, NANTONG_2020, True),
    ("320685", "海安市", "Hai'an City", NANTONG_2018, None, True),
    # 连云港 Lianyungang
    ("320703", "连云区", "Lianyun District", None, None, False),
    ("320704", "云台区", "Yuntai District", None, LIANYUNGANG_2001, True),
    ("320705", "新浦区", "Xinpu District", None, LIANYUNGANG_2014, True),
    ("320706", "海州区", "Haizhou District", None, None, False),
    ("320707", "赣榆区", "Ganyu District", LIANYUNGANG_2014, None, True),
    ("320721", "赣榆县", "Ganyu County", None, LIANYUNGANG_2014, True),
    ("320722", "东海县", "Donghai County", None, None, False),
    ("320723", "灌云县", "Guanyun County", None, None, False),
    ("320724", "灌南县", "Guannan County", None, None, False),
    # 淮安 Huai'an (淮阴 until 2001)
    ("320802", "清河区", "Qinghe District", None, HUAIAN_2016, True),
    ("320803", "楚州区", "Chuzhou District", HUAIAN_2001, HUAIAN_2012, True),
    ("320803", "淮安区", "Huai'an District", HUAIAN_2012, None, True),
    ("320804", "淮阴区", "Huaiyin District", HUAIAN_2001, None, True),
    ("320811", "清浦区", "Qingpu District", None, HUAIAN_2016, True),
    ("320812", "清江浦区", "Qingjiangpu District", HUAIAN_2016, None, True),
    ("320813", "洪泽区", "Hongze District", HUAIAN_2016, None, True),
    ("320821", "淮阴县", "Huaiyin County", None, HUAIAN_2001, True),
    ("320826", "涟水县", "Lianshui County", None, None, False),
    ("320829", "洪泽县", "Hongze County", None, HUAIAN_2016, True),
    ("320830", "盱眙县", "Xuyi County", None, None, False),
    ("320831", "金湖县", "Jinhu County", None, None, False),
    ("320882", "淮安市", "Huai'an City (county-level)", None, HUAIAN_2001, True),
    # 盐城 Yancheng
    ("320902", "城区", "Chengqu District", None, YANCHENG_2003, True),
    ("320902", "亭湖区", "Tinghu District", YANCHENG_2003, None, True),
    ("320903", "盐都区", "Yandu District", YANCHENG_2003, None, True),
    ("320904", "大丰区", "Dafeng District", YANCHENG_2015, None, True),
    ("320921", "响水县", "Xiangshui County", None, None, False),
    ("320922", "滨海县", "Binhai County", None, None, False),
    ("320923", "阜宁县", "Funing County", None, None, False),
    ("320924", "射阳县", "Sheyang County", None, None, False),
    ("320925", "建湖县", "Jianhu County", None, None, False),
    ("320928", "盐都县", "Yandu County", None, YANCHENG_2003, True),
    ("320981", "东台市", "Dongtai City", None, None, False),
    ("320982", "大丰市", "Dafeng City", None, YANCHENG_2015, True),
    # 扬州 Yangzhou
    ("321002", "广陵区", "Guangling District", None, None, False),
    ("321003", "邗江区", "Hanjiang District", YANGZHOU_2000, None, True),
    ("321011", "郊区", "Jiaoqu (Suburban) District", None, YANGZHOU_2002, True),
    ("321011", "维扬区", "Weiyang District", YANGZHOU_2002, YANGZHOU_2011, True),
    ("321012", "江都区", "Jiangdu District", YANGZHOU_2011, None, True),
    ("321023", "宝应县", "Baoying County", None, None, False),
    ("321027", "邗江县", "Hanjiang County", None, YANGZHOU_2000, True),
    ("321081", "仪征市", "Yizheng City", None, None, False),
    ("321084", "高邮市", "Gaoyou City", None, None, False),
    ("321088", "江都市", "Jiangdu City", None, YANGZHOU_2011, True),
    # 镇江 Zhenjiang
    ("321102", "京口区", "Jingkou District", None, None, False),
    ("321111", "润州区", "Runzhou District", None, None, False),
    ("321112", "丹徒区", "Dantu District", ZHENJIANG_2002, None, True),
    ("321121", "丹徒县", "Dantu County", None, ZHENJIANG_2002, True),
    ("321181", "丹阳市", "Danyang City", None, None, False),
    ("321182", "扬中市", "Yangzhong City", None, None, False),
    ("321183", "句容市", "Jurong City", None, None, False),
    # 泰州 Taizhou
    ("321202", "海陵区", "Hailing District", None, None, False),
    ("321203", "高港区", "Gaogang District", None, None, False),
    ("321204", "姜堰区", "Jiangyan District", TAIZHOU_2012, None, True),
    ("321281", "兴化市", "Xinghua City", None, None, False),
    ("321282", "靖江市", "Jingjiang City", None, None, False),
    ("321283", "泰兴市", "Taixing City", None, None, False),
    ("321284", "姜堰市", "Jiangyan City", None, TAIZHOU_2012, True),
    # 宿迁 Suqian
    ("321302", "宿城区", "Sucheng District", None, None, False),
    ("321311", "宿豫区", "Suyu District", SUQIAN_2004, None, True),
    ("321321", "宿豫县", "Suyu County", None, SUQIAN_2004, True),
    ("321322", "沭阳县", "Shuyang County", None, None, False),
    ("321323", "泗阳县", "Siyang County", None, None, False),
    ("321324", "泗洪县", "Sihong County", None, None, False),
)

ALL_ROWS: Final[tuple[RegionRow, ...]] = PROVINCE_ROWS + CITY_ROWS + COUNTY_ROWS
