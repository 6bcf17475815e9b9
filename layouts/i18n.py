"""Hold every string a user reads, zh-CN first and English second."""

from __future__ import annotations

LANGS = ("zh-CN", "en")

CATALOGUE: dict[str, dict[str, str]] = {
    "wall.title_suffix": {"zh-CN": "综治中心 · 指挥中枢", "en": "Governance Command Hub"},
    "counter.today_registered": {"zh-CN": "今日受理", "en": "Registered today"},
    "counter.open": {"zh-CN": "在办", "en": "Open"},
    "counter.today_resolved": {"zh-CN": "今日办结", "en": "Resolved today"},
    "counter.overdue": {"zh-CN": "超期在办", "en": "Overdue"},
    "counter.month_resolution_rate": {"zh-CN": "本月办结率", "en": "Month resolved"},
    "counter.success_rate": {"zh-CN": "化解率", "en": "Settled"},
    "counter.supervised": {"zh-CN": "黄牌 / 红牌", "en": "Yellow / red cards"},
    "counter.major": {"zh-CN": "重大事件", "en": "Major incidents"},
    "counter.satisfaction_rate": {"zh-CN": "回访满意率", "en": "Satisfaction"},
    "counter.month_resolution_rate_hint": {"zh-CN": "口径：办结/受理", "en": "resolved / registered"},
    "counter.success_rate_hint": {"zh-CN": "口径：成功/办结", "en": "settled / resolved"},
    "counter.supervised_hint": {"zh-CN": "督办中", "en": "under supervision"},
    "counter.major_hint": {"zh-CN": "处置中", "en": "being handled"},
    "counter.satisfaction_rate_hint": {"zh-CN": "本月回访", "en": "visits this month"},
    "counter.vs_yesterday": {"zh-CN": "较昨日", "en": "vs. yesterday"},
    "counter.overdue_hint": {"zh-CN": "超过办结时限", "en": "past resolve deadline"},
    "counter.open_hint": {"zh-CN": "未办结案件", "en": "not yet resolved"},
    "panel.map": {"zh-CN": "实时地图", "en": "Live map"},
    "panel.ticker": {"zh-CN": "实时动态", "en": "Live events"},
    "panel.alerts": {"zh-CN": "重大事件", "en": "Major incidents"},
    "panel.warnings": {"zh-CN": "预警", "en": "Warnings"},
    "panel.departments": {"zh-CN": "部门响应（最慢在前）", "en": "Departments (worst first)"},
    "panel.townships": {"zh-CN": "乡镇排名", "en": "Townships"},
    "panel.hours": {"zh-CN": "今日分时受理（对比昨日）", "en": "Registered by hour (vs. yesterday)"},
    "panel.days": {"zh-CN": "近30日趋势", "en": "Last 30 days"},
    "panel.categories": {"zh-CN": "类别构成 · 化解率（本月）", "en": "Categories · settled (month)"},
    "panel.sources": {"zh-CN": "来源渠道（本月）", "en": "Source channels (month)"},
    "trend.hour": {"zh-CN": "时", "en": "h"},
    "trend.today": {"zh-CN": "今日", "en": "Today"},
    "trend.yesterday": {"zh-CN": "昨日", "en": "Yesterday"},
    "trend.registered": {"zh-CN": "受理", "en": "Registered"},
    "trend.resolved": {"zh-CN": "办结", "en": "Resolved"},
    "source.walk_in": {"zh-CN": "窗口来访", "en": "Walk-in"},
    "source.hotline_12345": {"zh-CN": "12345热线", "en": "12345 hotline"},
    "source.grid": {"zh-CN": "网格员上报", "en": "Grid workers"},
    "source.police_110": {"zh-CN": "110警调对接", "en": "110 police"},
    "source.court": {"zh-CN": "诉调对接", "en": "Courts"},
    "source.petition": {"zh-CN": "访调对接", "en": "Petitions"},
    "source.superior": {"zh-CN": "上级交办", "en": "From above"},
    "source.online": {"zh-CN": "网上/微信", "en": "Online"},
    "page.overview": {"zh-CN": "实时地图", "en": "Live map"},
    "page.departments": {"zh-CN": "部门响应详情（本月，最慢在前）", "en": "Department response (month, worst first)"},
    "page.township": {"zh-CN": "乡镇聚焦", "en": "Township focus"},
    "dept.name": {"zh-CN": "部门", "en": "Department"},
    "dept.assigned": {"zh-CN": "交办", "en": "Assigned"},
    "dept.sign": {"zh-CN": "签收中位", "en": "Sign median"},
    "dept.resolve": {"zh-CN": "办结中位", "en": "Resolve median"},
    "dept.on_time": {"zh-CN": "按期办结率", "en": "On time"},
    "dept.overdue": {"zh-CN": "超期", "en": "Overdue"},
    "dept.returns": {"zh-CN": "回退", "en": "Returned"},
    "focus.open": {"zh-CN": "在办", "en": "Open"},
    "focus.overdue": {"zh-CN": "超期", "en": "Overdue"},
    "focus.registered": {"zh-CN": "本月受理", "en": "Registered (month)"},
    "focus.success_rate": {"zh-CN": "化解率", "en": "Settled"},
    "league.departments_hint": {"zh-CN": "本月中位 · 签收 · 办结（小时）· 按期率 · 超期",
                                "en": "month medians · sign · resolve (h) · on time · overdue"},
    "league.townships_hint": {"zh-CN": "本月 · 受理 · 化解率 · 超期",
                              "en": "this month · registered · settled · overdue"},
    "league.sign": {"zh-CN": "签收", "en": "sign"},
    "league.resolve": {"zh-CN": "办结", "en": "resolve"},
    "league.on_time": {"zh-CN": "按期", "en": "on time"},
    "league.overdue": {"zh-CN": "超期", "en": "overdue"},
    "league.hours": {"zh-CN": "h", "en": "h"},
    "league.cases": {"zh-CN": "件", "en": ""},
    "league.none": {"zh-CN": "本月暂无数据", "en": "Nothing this month yet"},
    "warnings.none": {"zh-CN": "暂无预警", "en": "No warnings"},
    "warning.red": {"zh-CN": "红牌", "en": "Red card"},
    "warning.group": {"zh-CN": "群体性", "en": "Group"},
    "warning.major": {"zh-CN": "重大", "en": "Major"},
    "warning.overdue": {"zh-CN": "超期", "en": "Overdue"},
    "warning.prewarn": {"zh-CN": "临期", "en": "Due soon"},
    "warning.due": {"zh-CN": "时限", "en": "due"},
    "counter.warning": {"zh-CN": "临期", "en": "due soon"},
    "status.updated": {"zh-CN": "数据更新于", "en": "Data updated"},
    "status.stale": {"zh-CN": "数据中断", "en": "Feed silent for"},
    "status.minutes": {"zh-CN": "分钟", "en": "min"},
    "status.seconds": {"zh-CN": "秒", "en": "s"},
    "status.waiting": {"zh-CN": "等待数据", "en": "Waiting for data"},
    "status.offline": {"zh-CN": "连接中断，显示最后数据", "en": "Connection lost, showing last data"},
    "duty.leader": {"zh-CN": "带班领导", "en": "Leader on duty"},
    "duty.officers": {"zh-CN": "值班员", "en": "Officers"},
    "ticker.empty": {"zh-CN": "暂无动态", "en": "No events yet"},
    "alerts.none": {"zh-CN": "当前无重大事件", "en": "No major incident"},
    "alert.level.major": {"zh-CN": "重大事件", "en": "Major incident"},
    "alert.level.group": {"zh-CN": "群体性事件", "en": "Group incident"},
    "alert.level.info": {"zh-CN": "提示", "en": "Notice"},
    "alert.raised": {"zh-CN": "登记", "en": "raised"},
    "page.not_found": {"zh-CN": "页面不存在", "en": "Page not found"},
    "page.home": {"zh-CN": "指挥中枢", "en": "Command hub"},
    "page.go_wall": {"zh-CN": "打开大屏", "en": "Open the wall"},
    "weekday.0": {"zh-CN": "星期一", "en": "Mon"},
    "weekday.1": {"zh-CN": "星期二", "en": "Tue"},
    "weekday.2": {"zh-CN": "星期三", "en": "Wed"},
    "weekday.3": {"zh-CN": "星期四", "en": "Thu"},
    "weekday.4": {"zh-CN": "星期五", "en": "Fri"},
    "weekday.5": {"zh-CN": "星期六", "en": "Sat"},
    "weekday.6": {"zh-CN": "星期日", "en": "Sun"},
    "event.case.registered": {"zh-CN": "登记受理", "en": "registered"},
    "event.case.triaged": {"zh-CN": "研判分流", "en": "triaged"},
    "event.case.assigned": {"zh-CN": "已交办", "en": "assigned"},
    "event.case.signed": {"zh-CN": "已签收", "en": "signed for"},
    "event.case.progress": {"zh-CN": "办理中", "en": "in progress"},
    "event.case.returned": {"zh-CN": "回退", "en": "returned"},
    "event.case.escalated": {"zh-CN": "上报", "en": "escalated"},
    "event.case.extension": {"zh-CN": "延期申请", "en": "extension"},
    "event.case.resolved": {"zh-CN": "已办结", "en": "resolved"},
    "event.case.visited": {"zh-CN": "已回访", "en": "visited"},
    "event.case.closed": {"zh-CN": "已结案", "en": "closed"},
    "event.case.supervised": {"zh-CN": "督办", "en": "supervised"},
    "event.case.referred": {"zh-CN": "转出", "en": "referred"},
    "event.case.terminated": {"zh-CN": "终止", "en": "terminated"},
    "risk.normal": {"zh-CN": "正常", "en": "normal"},
    "risk.warning": {"zh-CN": "临期", "en": "due soon"},
    "risk.overdue": {"zh-CN": "超期", "en": "overdue"},
    "risk.major": {"zh-CN": "重大", "en": "major"},
}


def t(key: str, lang: str = "zh-CN") -> str:
    """Return the text of a key in a language, falling back to zh-CN."""
    entry = CATALOGUE[key]
    return entry.get(lang) or entry["zh-CN"]


def pick_lang(requested: str | None, default: str = "zh-CN") -> str:
    """Return a supported language from a request, else the default."""
    if requested in LANGS:
        return requested
    if requested and requested.lower().startswith("en"):
        return "en"
    return default


def catalogue(lang: str) -> dict[str, str]:
    """Return every string in one language (for the browser's live updates)."""
    return {key: t(key, lang) for key in CATALOGUE}
