import base64, quopri, unicodedata, os
out = "/work/main/tests/connectors/email/payloads"
os.makedirs(out, exist_ok=True)
def w(name, data):
    if isinstance(data, str): data = data.encode("utf-8")
    data = data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    open(f"{out}/{name}", "wb").write(data)

H = lambda extra="": f"""Return-Path: <nguyen.van.a@example.vn>
From: Nguyễn Văn A <Nguyen.Van.A@Example.VN>
To: Tổng đài 1022 <1022@thanhhoa.example>
Date: Mon, 23 Nov 2026 08:15:00 +0700
{extra}MIME-Version: 1.0
"""
w("plain.eml", H("Subject: Hỏi về thủ tục cấp giấy phép xây dựng\nMessage-ID: <plain-001@example.vn>\n") +
  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
  "Kính gửi Tổng đài 1022,\nTôi muốn hỏi thủ tục cấp giấy phép xây dựng nhà ở riêng lẻ.\nXin cảm ơn.\n")

html = ("<html><head><title>Tiêu đề ẩn</title><style>p{color:red}</style>"
        "<script>alert('xss')</script></head><body><p>Kính gửi Tổng đài&nbsp;1022,</p>"
        "<p>Đường <b>Lê Lợi</b> bị ngập &amp; hỏng đèn.</p><ul><li>Điểm 1</li><li>Điểm 2</li></ul>"
        "<p>Xem <a href=\"https://example.vn/anh\">ảnh</a><br>Trân trọng</p>"
        "<!-- comment --><img src=\"x.png\" alt=\"bản đồ\"><script>document.write('x')</script></body></html>")
w("html_only.eml", H("Subject: Phản ánh ngập đường\nMessage-ID: <html-001@example.vn>\n") +
  "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" +
  base64.encodebytes(html.encode()).decode())

w("alternative.eml", H("Subject: Hỏi lịch tiếp công dân\nMessage-ID: <alt-001@example.vn>\n") +
  'Content-Type: multipart/alternative; boundary="ALT"\n\n--ALT\n'
  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n" +
  quopri.encodestring("Phiên bản văn bản thuần: lịch tiếp công dân tháng 12?\n".encode()).decode() +
  "\n--ALT\nContent-Type: text/html; charset=utf-8\n\n<p>Phiên bản HTML</p>\n--ALT--\n")

pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4 + b"\n%%EOF\n"
png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
w("attachments.eml", H("Subject: Gửi hồ sơ kèm theo\nMessage-ID: <att-001@example.vn>\n") +
  'Content-Type: multipart/mixed; boundary="MIX"\n\n--MIX\n'
  'Content-Type: multipart/related; boundary="REL"\n\n--REL\n'
  "Content-Type: text/plain; charset=utf-8\n\nHồ sơ đính kèm, xin xem giúp.\n--REL\n"
  'Content-Type: image/png\nContent-ID: <anh1@example.vn>\nContent-Disposition: inline; filename="anh.png"\n'
  "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(png).decode() + "--REL--\n--MIX\n"
  "Content-Type: application/pdf\nContent-Disposition: attachment;\n filename*=utf-8''%C4%91%C6%A1n%20%C4%91%E1%BB%81%20ngh%E1%BB%8B.pdf\n"
  "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(pdf).decode() + "--MIX--\n")

big = bytes((i * 7) % 256 for i in range(40_000))
w("oversized_attachment.eml", H("Subject: Video hiện trường\nMessage-ID: <big-001@example.vn>\n") +
  'Content-Type: multipart/mixed; boundary="MIX"\n\n--MIX\n'
  "Content-Type: text/plain; charset=utf-8\n\nVideo quá lớn.\n--MIX\n"
  'Content-Type: video/mp4; name="hien-truong.mp4"\nContent-Disposition: attachment; filename="hien-truong.mp4"\n'
  "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(big).decode() + "--MIX\n"
  'Content-Type: text/plain; name="ghi-chu.txt"\nContent-Disposition: attachment; filename="ghi-chu.txt"\n\nnhỏ thôi\n--MIX--\n')

w("rfc2047.eml", "Return-Path: <tran.thi.b@example.vn>\n"
  "From: =?UTF-8?B?VHLhuqduIFRo4buLIELDrG5o?= <tran.thi.b@example.vn>\n"
  "To: 1022@thanhhoa.example\nSubject: =?utf-8?q?Ph=E1=BA=A3n_=C3=A1nh_r=C3=A1c_th=E1=BA=A3i?=\n =?UTF-8?B?IOG7nyBwaMaw4budbmcgQmEgxJDDrG5o?=\n"
  "Date: Mon, 23 Nov 2026 09:00:00 +0700\nMessage-ID: <2047-001@example.vn>\nMIME-Version: 1.0\n"
  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\nRác thải tồn đọng nhiều ngày.\n")

# Windows-1258: Vietnamese with combining tone marks (decomposed): NFC must compose them
TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
def to1258form(text):
    out = []
    for ch in unicodedata.normalize("NFC", text):
        d = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in d if c not in TONES))
        out.append(base + "".join(c for c in d if c in TONES))
    return "".join(out)
text1258 = to1258form("Xin chào, tôi ở Thanh Hóa, phường Điện Biên.\n")
def enc1258(s):
    try: return s.encode("cp1258")
    except UnicodeEncodeError as e: raise
w("windows1258.eml", H("Subject: Thu =?windows-1258?Q?Vi=EA=F2t?=\nMessage-ID: <cp1258-001@example.vn>\n") +
  "Content-Type: text/plain; charset=windows-1258\nContent-Transfer-Encoding: quoted-printable\n\n" +
  quopri.encodestring(enc1258(text1258)).decode())

raw_unknown = (H("Subject: =?x-unknown?Q?Ch=C3=A0o_b=E1=BA=A1n?=\nMessage-ID: <unk-001@example.vn>\n") +
  "Content-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: 8bit\n\n").encode() + "Nội dung ".encode() + b"\xff\xfe" + " lạ\n".encode()
w("unknown_charset.eml", raw_unknown)

w("bogus_base64.eml", H("Subject: Base64 hỏng\nMessage-ID: <b64-001@example.vn>\n") +
  "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
  + base64.b64encode("Xin chào Tổng đài".encode()).decode()[:-3] + "*!%$\n@@@=\n")

def auto(name, headers, sender="Nguyễn Văn A <nguyen.van.a@example.vn>", body="Tôi đang nghỉ phép.", mid=None, rp="<nguyen.van.a@example.vn>"):
    w(name, f"Return-Path: {rp}\nFrom: {sender}\nTo: 1022@thanhhoa.example\nSubject: Trả lời tự động\n"
      f"Date: Mon, 23 Nov 2026 10:00:00 +0700\nMessage-ID: <{mid or name}@example.vn>\n{headers}MIME-Version: 1.0\n"
      f"Content-Type: text/plain; charset=utf-8\n\n{body}\n")
auto("auto_submitted.eml", "Auto-Submitted: auto-replied\n")
auto("auto_submitted_generated.eml", "Auto-Submitted: auto-generated\n")
auto("auto_submitted_no.eml", "Auto-Submitted: no\n", body="Thư do người gửi thật viết.")
auto("precedence_bulk.eml", "Precedence: bulk\n")
auto("precedence_list.eml", "Precedence: list\n")
auto("precedence_junk.eml", "Precedence: junk\n")
auto("list_unsubscribe.eml", "List-Unsubscribe: <mailto:unsub@lists.example.vn>\nList-Id: <tin-tuc.lists.example.vn>\n")
auto("empty_return_path.eml", "", rp="<>")
auto("postmaster.eml", "", sender="postmaster@mail.example.vn")
auto("own_address.eml", "", sender="Tổng đài 1022 <1022@thanhhoa.example>")
auto("x_autoreply.eml", "X-Autoreply: yes\n")

w("bounce_mailer_daemon.eml", "Return-Path: <>\nFrom: Mail Delivery System <MAILER-DAEMON@mail.thanhhoa.example>\n"
  "To: 1022@thanhhoa.example\nSubject: Undelivered Mail Returned to Sender\nDate: Mon, 23 Nov 2026 10:05:00 +0700\n"
  "Message-ID: <bounce-001@mail.thanhhoa.example>\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
  'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n--B\n'
  "Content-Type: text/plain; charset=us-ascii\n\nThis is the mail system. Your message could not be delivered.\n--B\n"
  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mail.thanhhoa.example\n\nFinal-Recipient: rfc822; khongco@example.vn\nAction: failed\nStatus: 5.1.1\n\n--B\n"
  "Content-Type: message/rfc822\n\nFrom: 1022@thanhhoa.example\nTo: khongco@example.vn\nSubject: Re: test\nMessage-ID: <hub-1@thanhhoa.example>\n\nnoi dung\n--B--\n")

w("reply_in_reply_to.eml", H("Subject: RE: Re: [1022-2026-000123] Hỏi về thủ tục\nMessage-ID: <reply-002@example.vn>\n"
  "In-Reply-To: <1022.m42.c7@thanhhoa.example>\nReferences: <plain-001@example.vn>\n <1022.m42.c7@thanhhoa.example>\n") +
  "Content-Type: text/plain; charset=utf-8\n\nCảm ơn, cho tôi hỏi thêm.\n\n> Trả lời trước đó\n")

w("ticket_subject.eml", H("Subject: Bổ sung hồ sơ cho phiếu [1022-2026-000123]\nMessage-ID: <ticket-003@example.vn>\n") +
  "Content-Type: text/plain; charset=utf-8\n\nTôi bổ sung giấy tờ.\n")

w("no_message_id.eml", H("Subject: Thư không có Message-ID\n") + "Content-Type: text/plain; charset=utf-8\n\nNội dung.\n")

w("forwarded.eml", H("Subject: Fwd: Thông báo của phường\nMessage-ID: <fwd-001@example.vn>\n") +
  'Content-Type: multipart/mixed; boundary="F"\n\n--F\nContent-Type: text/plain; charset=utf-8\n\nChuyển tiếp thư của phường.\n--F\n'
  "Content-Type: message/rfc822\n\nFrom: phuong@example.vn\nSubject: Thong bao\nMessage-ID: <inner@example.vn>\n\nNoi dung thong bao\n--F--\n")

w("raw_8bit_headers.eml", "From: Lê Thị C <le.thi.c@example.vn>\nTo: 1022@thanhhoa.example\nSubject: Tiêu đề UTF-8 không mã hoá\n"
  "Message-ID: <8bit-001@example.vn>\nContent-Type: text/plain; charset=utf-8\n\nNội dung.\n")
