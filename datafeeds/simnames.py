"""Name tables for the synthetic county and simulator: places, people (masked), titles, outcomes."""

from __future__ import annotations

# (Chinese, pinyin stem); the suffix 镇 reads "Town", 乡 "Township".
TOWNSHIP_POOL: tuple[tuple[str, str], ...] = (
    ("河口乡", "Hekou"), ("石桥镇", "Shiqiao"), ("青山乡", "Qingshan"), ("白沙镇", "Baisha"),
    ("龙潭镇", "Longtan"), ("新塘乡", "Xintang"), ("枫林镇", "Fenglin"), ("黄岭乡", "Huangling"),
    ("双江镇", "Shuangjiang"), ("桃花乡", "Taohua"), ("金坪镇", "Jinping"), ("长岭乡", "Changling"),
    ("杨柳镇", "Yangliu"), ("大坪乡", "Daping"), ("高桥镇", "Gaoqiao"), ("柳溪乡", "Liuxi"),
    ("马鞍镇", "Ma'an"), ("东山乡", "Dongshan"), ("西河镇", "Xihe"), ("花桥镇", "Huaqiao"),
    ("泉塘乡", "Quantang"), ("石门镇", "Shimen"), ("凤凰乡", "Fenghuang"), ("云田镇", "Yuntian"),
    ("三星乡", "Sanxing"), ("樟树镇", "Zhangshu"), ("合兴乡", "Hexing"), ("梅林乡", "Meilin"),
)
SEAT: tuple[str, str] = ("城关镇", "Chengguan")

# Urban communities (社区) of the county seat.
SEAT_COMMUNITIES: tuple[tuple[str, str], ...] = (
    ("东门", "Dongmen"), ("西街", "Xijie"), ("南关", "Nanguan"), ("北门", "Beimen"),
    ("解放路", "Jiefanglu"), ("人民路", "Renminlu"), ("文昌", "Wenchang"), ("建设", "Jianshe"),
    ("新城", "Xincheng"), ("滨江", "Binjiang"), ("府前", "Fuqian"), ("朝阳", "Chaoyang"),
    ("学府", "Xuefu"), ("五一", "Wuyi"), ("红旗", "Hongqi"), ("站前", "Zhanqian"),
)

# Common surnames with a rough frequency weight (most frequent first).
SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "Wang", 7.1), ("李", "Li", 7.0), ("张", "Zhang", 6.7), ("刘", "Liu", 5.4), ("陈", "Chen", 4.6),
    ("杨", "Yang", 3.1), ("黄", "Huang", 2.2), ("赵", "Zhao", 2.0), ("吴", "Wu", 2.0), ("周", "Zhou", 1.9),
    ("徐", "Xu", 1.5), ("孙", "Sun", 1.4), ("马", "Ma", 1.3), ("朱", "Zhu", 1.3), ("胡", "Hu", 1.2),
    ("郭", "Guo", 1.2), ("何", "He", 1.2), ("罗", "Luo", 1.0), ("高", "Gao", 1.0), ("林", "Lin", 1.0),
    ("谭", "Tan", 0.9), ("彭", "Peng", 0.9), ("曾", "Zeng", 0.9), ("邓", "Deng", 0.9), ("肖", "Xiao", 0.8),
    ("唐", "Tang", 0.8), ("易", "Yi", 0.5), ("龙", "Long", 0.5), ("廖", "Liao", 0.5), ("蒋", "Jiang", 0.6),
)
VILLAGE_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("家", "jia"), ("庄", "zhuang"), ("湾", "wan"), ("坪", "ping"), ("冲", "chong"), ("塘", "tang"),
    ("桥", "qiao"), ("岭", "ling"), ("坳", "ao"), ("山", "shan"), ("溪", "xi"), ("铺", "pu"),
    ("屋", "wu"), ("坝", "ba"), ("垅", "long"),
)
VILLAGE_WORDS: tuple[tuple[str, str], ...] = (
    ("红星", "Hongxing"), ("新华", "Xinhua"), ("光明", "Guangming"), ("团结", "Tuanjie"), ("和平", "Heping"),
    ("永丰", "Yongfeng"), ("丰收", "Fengshou"), ("石门", "Shimen"), ("青龙", "Qinglong"), ("白石", "Baishi"),
    ("金塘", "Jintang"), ("荷花", "Hehua"), ("竹山", "Zhushan"), ("松林", "Songlin"), ("梅溪", "Meixi"),
    ("田心", "Tianxin"), ("水口", "Shuikou"), ("大兴", "Daxing"), ("太平", "Taiping"), ("长乐", "Changle"),
    ("仁和", "Renhe"), ("福田", "Futian"), ("兴隆", "Xinglong"), ("五星", "Wuxing"), ("建新", "Jianxin"),
    ("向阳", "Xiangyang"), ("东风", "Dongfeng"), ("胜利", "Shengli"), ("清泉", "Qingquan"),
    ("古城", "Gucheng"),
    ("双桥", "Shuangqiao"), ("杉木", "Shanmu"), ("茶园", "Chayuan"), ("柏树", "Baishu"), ("梨树", "Lishu"),
    ("花园", "Huayuan"), ("高峰", "Gaofeng"), ("龙山", "Longshan"), ("凤山", "Fengshan"), ("白鹤", "Baihe"),
)

# Only the last character of a given name survives masking (张*明).
GIVEN_LAST = "明华军芳英强平红伟丽勇霞兵辉玲林斌云峰敏"
MOBILE_PREFIXES = ("130", "132", "135", "136", "137", "138", "139", "150", "151", "155", "158", "159",
                   "173", "177", "180", "186", "187", "189", "199")
ID_TYPE = "居民身份证"
ORG_RESPONDENTS: dict[str, tuple[str, ...]] = {
    "07": ("某建筑劳务公司", "某电子厂", "某餐饮店", "某物流公司", "某服装厂"),
    "0701": ("某建筑劳务公司", "某电子厂", "某家具厂", "某汽车运输公司"),
    "0702": ("某建材公司", "某商贸公司"),
    "0402": ("某物业服务公司",),
    "06": ("某装饰公司", "某农资店", "某家电门店"),
    "08": ("某小额贷款公司",),
    "0502": ("县某医院", "某乡镇卫生院"),
    "1101": ("县房屋征收办",),
    "1102": ("某开发项目指挥部",),
}

# Title topics per category; {v} is the village, {a}/{b} surnames. The most specific code wins.
TOPICS: dict[str, tuple[str, ...]] = {
    "01": ("{a}某家庭矛盾", "离婚财产分割纠纷", "婚姻家庭纠纷", "彩礼返还纠纷"),
    "0102": ("老人赡养纠纷", "{a}某赡养费纠纷", "子女抚养费纠纷", "监护权纠纷"),
    "02": ("{a}某与{b}某邻里纠纷", "相邻通行纠纷", "排水沟渠纠纷", "邻里噪音纠纷", "房前屋后用地纠纷"),
    "03": ("名誉侵权纠纷", "肖像权纠纷"),
    "04": ("房屋产权纠纷", "共有财产分割纠纷"),
    "0402": ("小区物业费纠纷", "物业服务质量投诉", "电梯停运投诉", "小区停车位纠纷"),
    "05": ("犬只伤人赔偿纠纷", "财产损害赔偿纠纷", "建房施工损害纠纷"),
    "0502": ("医疗损害赔偿纠纷", "医疗费用争议"),
    "0503": ("交通事故赔偿纠纷", "电动车交通事故纠纷"),
    "06": ("买卖合同纠纷", "房屋装修合同纠纷", "农资买卖纠纷"),
    "07": ("劳务报酬纠纷", "工伤待遇纠纷"),
    "0701": ("拖欠农民工工资", "劳动合同解除纠纷", "经济补偿金纠纷"),
    "0702": ("社保缴纳纠纷", "养老保险待遇诉求"),
    "08": ("{a}某与{b}某民间借贷纠纷", "借款逾期纠纷"),
    "09": ("集体资源收益分配纠纷",),
    "0901": ("土地承包经营权纠纷", "土地流转租金纠纷"),
    "0902": ("宅基地边界纠纷", "{a}某与{b}某宅基地纠纷"),
    "0903": ("山林权属纠纷", "采砂矿产纠纷"),
    "10": ("合伙经营纠纷", "继承纠纷"),
    "11": ("农村公路建设纠纷", "项目建设影响诉求"),
    "1101": ("房屋征收补偿诉求", "安置房分配诉求"),
    "1102": ("集体土地征用补偿纠纷", "征地补偿款分配纠纷"),
    "1103": ("违章搭建投诉", "违规建房纠纷"),
    "12": ("低保申请诉求", "困难救助诉求"),
    "13": ("油烟噪音扰民投诉", "食品安全投诉", "占道经营投诉"),
    "14": ("涉诉信访诉求", "执行难诉求"),
    "15": ("村务公开诉求", "村干部作风投诉"),
    "16": ("宗教场所用地诉求",),
    "99": ("其他矛盾纠纷", "环境卫生投诉"),
}
DESCRIPTIONS: tuple[str, ...] = (
    "当事人反映{t}，双方多次协商未果，请求协调处理。",
    "网格员走访发现{t}，矛盾有激化苗头，需及时介入。",
    "群众来电反映{t}，情绪较为激动，要求尽快解决。",
    "{t}，涉及{n}人，已做初步安抚，建议相关部门处置。",
)
METHODS: tuple[tuple[str, float], ...] = (
    ("人民调解", 0.42), ("行政调解", 0.18), ("协商和解", 0.14), ("行政处理", 0.1),
    ("司法确认", 0.06), ("法律援助", 0.04), ("行业调解", 0.04), ("诉前调解", 0.02),
)
RETURN_REASONS: tuple[str, ...] = (
    "不属于本部门职责范围", "需属地乡镇先行处置", "材料不全，请补充后重新交办", "已由其他部门受理",
)
TERMINATE_REASONS: tuple[str, ...] = ("当事人撤回申请", "双方自行和解", "当事人失联")
PROGRESS_NOTES: tuple[str, ...] = (
    "已联系当事人了解情况", "已组织双方现场调解", "已实地核查", "已出具处理意见，待双方确认",
    "已约谈相关责任方",
)
