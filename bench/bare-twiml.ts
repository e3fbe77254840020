/** The fixed reply of the bare server: shaped like a real `TT` reply (a fictional person), so both servers send similar bytes. */
export const BARE_TWIML =
  '<?xml version="1.0" encoding="UTF-8"?><Response><Message action="https://sms.example.vn/sms/status?ref=SM00000000000000000000000000000000" method="POST">Ho ten: Nguyen Van Mau\n' +
  'So dinh danh: 001******000\nNgay sinh: 01/01/1980\nGioi tinh: Nam\n' +
  'Noi dang ky khai sinh: Ha Noi\nQue quan: Ha Noi\nDan toc: Kinh\nTon giao: Khong\n' +
  'Quoc tich: Viet Nam</Message></Response>';
