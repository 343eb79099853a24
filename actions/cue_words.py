"""Generic Vietnamese cue words for :mod:`actions.cues` (closed-class language, not FAQ topics).

Phrases are written accented, lower case, separated by ``|``. A phrase matches the
citizen's words exactly as written, or, for a word typed without diacritics, its folded
form (``"o dau"`` matches ``"ở đâu"``). Marks:

- ``=word``   accented only: the folded form is too ambiguous (``mấy``/``máy``);
- ``word$``   the phrase ends its clause (only particles may follow) and does not open it
  (``"có ... không?"`` is a question, ``"Không ạ"`` is an answer);
- ``word~``   like ``$``, but only when the words were typed without diacritics
  (``"o dau"`` may be ``"ở đầu ngõ"``);
- ``*``       any one word (``"cho * hỏi"``: "cho em hỏi", "cho tôi hỏi").
"""

from __future__ import annotations

# Words allowed after a clause-final cue, and before a clause's first real word.
PARTICLES = """ạ à ạk ah nhé nha nhỉ vậy thế hả hở ơi ad admin mọi người anh chị em bạn rứa ri
    với nhể hen đây đó dạ vâng ừ ok tổng đài bot cán bộ ak nè ha hén""".split()

QUESTION = """
bao nhiêu | bao lâu | bao giờ | khi nào | lúc nào | hồi nào | thế nào | như thế nào | ra sao |
làm sao | tại sao | vì sao | ở đâu~ | tại đâu~ | đi đâu~ | về đâu~ | từ đâu~ | đến đâu~ | tới đâu~ |
chỗ nào | nơi nào | lên đâu~ | ra đâu~ | vào đâu~ | nộp đâu~ | làm đâu~ | mua đâu~ |
đâu ạ$ | đâu vậy$ | đâu thế$ | đâu nhỉ$ | ở mô | đi mô | làm răng | vì răng |
chi rứa | cái chi | mấy giờ | mấy tuổi | mấy mũi | mấy ngày | mấy tháng | mấy năm | mấy lần |
mấy tiếng | mấy buổi | mấy bước | không$ | chưa$ | hông$ | hem$ | =hả | =à$ | nhỉ$ |
=chứ$ | được không | được chưa | có phải | phải không | đúng không | hay không | hay chưa |
không vậy | chưa vậy | cho * hỏi | cho hỏi | xin hỏi | muốn hỏi | cần hỏi | hỏi giúp | hỏi chút |
hỏi thăm | muốn biết | cần biết | cho biết | thắc mắc | xin hướng dẫn | hướng dẫn giúp |
hướng dẫn cho | nhờ hướng dẫn | xin tư vấn | tư vấn giúp | nhờ tư vấn | giải đáp | xin thông tin |
cần thông tin | tìm hiểu
"""
# Interrogative pronouns that are also indefinites ("không có gì", "đêm nào cũng", "không ai"):
# a question only near the end of their clause (or opening it), with no negation before them
# and no "cũng" after them.
QUESTION_WH = "ai | =mấy | =sao | =đâu | hay"
# "gì", "nào" are questions wherever they stand, unless negated or indefinite ("gì đó", "nào cũng").
QUESTION_WHAT = "gì | nào"
WH_NEAR_END = 2  # words (particles aside) that may follow the pronoun in its clause
WH_BRIDGE = "để thì và hay mới không ạ vậy nhỉ có".split()  # "giấy tờ gì để ...", "nào thì ..."
NEGATION = "không chưa chẳng chả đâu chứ".split()
NEGATION_FOLDED = "khong chua chang".split()  # typed without diacritics ("cha" may be "cha", "dau" "đầu")
# A cue inside one of these is not a question ("không sao", "bất cứ lúc nào").
NOT_QUESTION = """
không sao | bản sao | sao y | sao kê | sao chép | ngôi sao | gì cũng | gì đâu | thế nào cũng |
ai cũng | ai đó | bị ai | nào đó | gì đó | gì cả | gì hết | gì đấy | đâu có | mấy * liền |
bất cứ * nào | bất kỳ * nào | bất cứ ai | bất kỳ ai | bất cứ gì |
bất kỳ gì | bất cứ lúc nào | mấy * nay | mấy * rồi | mấy * trước | mấy * qua | mấy anh | mấy chị |
mấy ông | mấy bà | mấy đứa | mấy ổng | mấy bả | mấy ảnh | mấy chả | mấy nhà | mấy người | mấy cái |
hay là | không đâu | chưa đâu | không * đâu | không * * đâu |
chẳng * đâu
"""

GREET = """chào | xin chào | kính chào | hello | helo | hi | hí | alo | alô | a lô | hế lô | hey |
    chào buổi sáng | chào buổi chiều | chào buổi tối | good morning | chúc ngày mới | chúc * ngày |
    chào buổi * | có nghe không | nghe rõ không | có ai không |
    chúc buổi sáng"""
THANK = """cảm ơn | cám ơn | cảm ơn | thanks | thank | thank you | tks | thx | ty | biết ơn | đa tạ |
    camon | cảm ơn nhiều"""
GOODBYE = """tạm biệt | bye | bai | bb | pp | bye bye | bái bai | hẹn gặp lại | tắt máy đây | đi đây |
    off đây | out đây | ngủ đây | off | thôi chào |
    chào nhé$ | chào tạm biệt | see you | good night | thôi nhé$"""
AFFIRM = """đúng | đúng rồi | đúng vậy | phải | phải rồi | vâng | dạ vâng | dạ phải | ừ | ừm | ờ | uk | uh |
    um | ok | oke | okay | okie | oki | có | yes | yep | chính xác | đồng ý | chuẩn | được | rồi"""
DENY = """không | không phải | chưa | sai | sai rồi | không đúng | chưa đúng | không cần | không cần nữa |
    no | nope | không phải vậy | không ạ | chẳng phải | không có | không phải câu nào |
    không phải các câu trên"""

# Asking for a person: a request verb and a person noun, or a phrase that is the request itself.
PERSON_NOUN = """cán bộ | tổng đài viên | nhân viên | người thật | người trực | người phụ trách |
    điện thoại viên | chuyên viên | con người | người tiếp nhận | cán bộ trực | lãnh đạo"""
PERSON_VERB = """gặp | nói chuyện | trao đổi | kết nối | nối máy | chuyển máy | chuyển | gọi | gọi điện |
    liên hệ | tư vấn trực tiếp | làm việc | xin số | chat | nhắn tin | gặp trực tiếp"""
PERSON_GAP = 3  # words allowed between the request verb and the person ("gặp trực tiếp cán bộ")
PERSON_PHRASE = """có ai trực | có người trực | có ai ở đó | có ai đó không | người thật |
    gọi lại cho * | gọi lại giúp | gọi lại số | gọi điện lại | gọi lại cho | gọi cho tôi | gọi cho em |
    gọi cho mình | gọi lại tôi | gọi lại em | gọi lại mình | gọi lại cháu | không muốn nói chuyện với máy |
    không muốn chat với | toàn máy trả lời | gặp người | gặp con người | nói chuyện với người |
    có nhân viên nào | có cán bộ nào | trực không$ | có ai online | có ai đang trực | còn ai trực |
    nói chuyện trực tiếp | tư vấn trực tiếp"""
# Words of a request for a person, dropped when looking for the matter in the same message.
PERSON_FILLER = """cho tôi | cho em | cho mình | cho cháu | làm ơn | vui lòng | giúp | giùm | dùm | hộ |
    với | nhé | nha | ạ | ơi | đi | được không | có ai | ai | trực | tổng đài | bên | ở | đó | đây |
    không | trực tiếp | số | điện thoại | muốn | cần | xin | anh | chị | anh chị | tôi | em | mình |
    được | đang | nào | bây giờ | hay | toàn | máy | trả lời | tự động | bot | chat | phải | là |
    đề nghị | nhờ | yêu cầu | mong | tiếp nhận | phụ trách | kết nối | gặp | nói chuyện | gọi | gọi điện |
    lại | người | thật | nhân viên | tổng đài viên | chuyển | sang | liên hệ | cán bộ | nối máy"""

SKIP = """bỏ qua | skip | không có | không muốn cung cấp | không muốn nói | không muốn cho | không cung cấp |
    không tiện | không để lại | chưa có | không dùng | không xài | khỏi | pass | bỏ | không muốn |
    không nhớ | bí mật | miễn"""
# Words naming the contact fields ("không có email", "không muốn cung cấp số điện thoại").
FIELD_WORDS = """họ tên và số điện thoại đt sđt di động email e mail gmail địa chỉ nhà thông tin cá nhân
    cung cấp cho nói ghi để lại của""".replace("\n", " ")
CANCEL = """hủy | huỷ | hủy bỏ | thôi không cần nữa | không cần nữa | không gửi nữa | không gửi | dừng lại |
    dừng | thôi bỏ đi | không muốn gửi | cancel | stop | thôi khỏi | không cần gửi | thôi không gửi"""

# Report / complaint / denunciation: the request to act, and the shape of an incident.
REPORT_ACT = """phản ánh | phản ảnh | tố giác | tố cáo | khiếu nại | kiến nghị | xử lý giúp | kiểm tra giúp |
    can thiệp giúp | giải quyết giúp | xem giúp | sửa giúp | xuống xem | xử lý dứt điểm | vào cuộc |
    muốn báo | báo công an | báo chính quyền | báo cơ quan | báo để | báo lên | báo giúp | nên báo |
    báo với | báo cho | báo bên | báo ad | cảnh giác | xử lý nghiêm | không thể chấp nhận | bức xúc |
    có biện pháp | biện pháp xử lý | xem xét lại | sao không ai | sao chưa ai | sao vẫn chưa |
    sao vẫn không | đến bao giờ mới | đến khi nào mới"""
# A request to act: an asking word, then (within REPORT_GAP words) what the authorities should do.
REPORT_ASK = "đề nghị | kính đề nghị | mong | yêu cầu | nhờ | đề xuất"
REPORT_ACTION = """xử lý | kiểm tra | xác minh | chấn chỉnh | giải quyết | can thiệp | xem xét | làm rõ |
    vào cuộc | có biện pháp | xuống xem | sửa | khắc phục | ngăn chặn | truy quét | thu hồi | điều tra |
    giải tỏa | dẹp | nhắc nhở | xử phạt"""
REPORT_GAP = 4
REPORT_SHAPE = """bị | trái phép | lừa đảo | lừa | vi phạm | hỏng | hư | nguy hiểm | tai nạn | ô nhiễm | ồn |
    hôi thối | hôi | thối | lấn chiếm | lấn | sạt lở | ngập | đánh nhau | trộm | chết | cháy | nợ | quát |
    gây | xả | tụ tập | đua xe | đánh bạc | chiếm đoạt | ăn chặn | gãy | đổ | mất | thiu | sập | nứt |
    tràn | suốt | cả tuần | cả tháng | cả năm | hàng tháng nay |
    mấy hôm nay | mấy tháng nay | mấy ngày nay | đêm nào cũng | ngày nào cũng |
    sáng nào cũng | tối nào cũng | không ai | mãi | đến nay | vẫn chưa | chưa được | không được |
    tin giả | quá tải | bụi | khói | rác | nhũng nhiễu | gây khó dễ | thái độ | hách dịch | tăng giá |
    đội giá | găm hàng | không thấy | chưa thấy | mà không | mà chưa | bắt | đòi | ép | bỏ sót | ghi sai |
    sai | thiếu | chậm | muộn | tắc | kẹt | vứt | đốt | lấp | vỡ | nghiêng | chùng | đứt | tự xưng |
    mạo danh | giả mạo | nghi | lợi dụng | quá đáng | khổ | khổ sở | nguy cơ | đề nghị | mong | yêu cầu |
    không đeo khẩu trang | không cho | mỗi tối | mỗi đêm | mỗi ngày | hàng đêm | hằng đêm | hàng ngày |
    thường xuyên | liên tục | pháo | nổ | đè | mùi | không dám | đục | bẩn"""

# Words of the message that carry no topic (pronouns, particles, politeness, vocatives).
FILLER = """a ạ à ạk ah ak anh chị em e tôi toi mình tớ cháu bạn ad admin mọi người oi ơi dạ vâng
    xin cho hỏi muốn với về chút câu một được không ko k là gì thế nào nhé nha đi vậy tổng đài
    cần biết thông tin cán bộ giúp giùm dùm ạ làm ơn vui lòng nhờ có ai của thì mà và đã đang sẽ
    rồi cũng này kia đó đây ở tại việc vụ chuyện cái để bên trực nào""".split()

# Kinds of message no public-service hotline handles (Điều 9.2): advertising and spam, games and
# entertainment, fortune telling, chit-chat with the bot. Evidence only: the policy refuses on it
# when the FAQ has nothing close.
OFF_TOPIC = """giá sỉ | khuyến mãi | báo giá | liên hệ zalo | bấm link | click | link ở bio | link bên dưới |
    nhận quà | quà tặng | trúng thưởng | giải ngân | lãi suất 0 | vay tiền online | app vay | cho em vay |
    cho mình vay | cần bán | ai mua | thanh lý | tuyển cộng tác viên | kiếm tiền online | tiền ảo |
    cá cược | nhà cái | casino | kể chuyện | chuyện cười | truyện cười | làm thơ | bài thơ | đố vui |
    câu đố | hát cho | hát một bài | =bói | tử vi | hợp mệnh | phong thủy | con số đẹp | đánh đề | lô đề |
    xổ số | soi cầu | kèo | tỉ số | bóng đá | đá trận | người yêu | có ny | thất tình | bot ngu |
    ngu thế | ngu vl | đoán xem | công thức nấu | nấu món | cách nấu | nấu ăn | món ngon | giá vàng |
    chứng khoán | bitcoin | xem phim | phim hay | ăn cơm chưa | buồn quá | chán quá | cô đơn"""
