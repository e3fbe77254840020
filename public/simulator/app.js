// The demo simulator page: lists the sample citizens, sends a message through the server (which
// signs it and posts it to its own webhook) and shows the reply and the record's access history.
// It computes nothing about the reply itself.
'use strict';

const TEXTS = {
  vi: {
    title: 'Mô phỏng SMS tra cứu',
    switch: 'English',
    note: 'Chế độ demo: hồ sơ mẫu hư cấu. Tin nhắn đi qua webhook thật (chữ ký, dịch vụ, nhật ký).',
    person: 'Công dân mẫu',
    other: 'Số khác (tự nhập)',
    from: 'Số điện thoại gửi',
    body: 'Tin nhắn',
    send: 'Gửi',
    reply: 'Trả lời',
    history: 'Lịch sử truy cập (như LS trả lời)',
    noReply: '(không trả lời)',
    noRecord: '(chưa chọn hồ sơ: gửi tin có số định danh)',
    meta: (r) => `${r.encoding}, ${r.characters} ký tự, ${r.segments} tin`,
    refused: (r) => `Máy chủ từ chối: HTTP ${r.status} ${r.refused}. URL đã ký: ${r.signedUrl}`,
    signed: (r) => `Gửi từ ${r.sender}, ký cho ${r.signedUrl}`,
  },
  en: {
    title: 'SMS lookup simulator',
    switch: 'Tiếng Việt',
    note: 'Demo mode: fictional sample records. Messages go through the real webhook (signature, service, audit).',
    person: 'Sample citizen',
    other: 'Another number (type it)',
    from: 'Sender phone number',
    body: 'Message',
    send: 'Send',
    reply: 'Reply',
    history: 'Access history (as LS replies)',
    noReply: '(no reply)',
    noRecord: '(no record chosen: send a message with an ID number)',
    meta: (r) => `${r.encoding}, ${r.characters} characters, ${r.segments} segment${r.segments === 1 ? '' : 's'}`,
    refused: (r) => `Refused by the server: HTTP ${r.status} ${r.refused}. Signed URL: ${r.signedUrl}`,
    signed: (r) => `Sent from ${r.sender}, signed for ${r.signedUrl}`,
  },
};

let lang = 'vi';
let people = [];
const $ = (id) => document.getElementById(id);

function applyLanguage() {
  const t = TEXTS[lang];
  document.documentElement.lang = lang;
  document.title = t.title;
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t[el.dataset.t];
  const other = $('person').querySelector('option[value=""]');
  if (other) other.textContent = t.other;
}

function fillPeople() {
  const select = $('person');
  select.replaceChildren();
  for (const p of people) {
    const option = document.createElement('option');
    option.value = p.idNumber;
    option.textContent = `${p.name} (${p.phone})`;
    select.append(option);
  }
  const other = document.createElement('option');
  other.value = '';
  select.append(other);
  applyLanguage();
  pick();
}

function pick() {
  const p = people.find((x) => x.idNumber === $('person').value);
  if (!p) return;
  $('from').value = p.phone;
  $('body').value = `TT ${p.idNumber}`;
}

async function send(event) {
  event.preventDefault();
  const t = TEXTS[lang];
  $('submit').disabled = true;
  try {
    const res = await fetch('/simulator/api/send', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ from: $('from').value, body: $('body').value, lang, record: $('person').value }),
    });
    const r = await res.json();
    const reply = $('reply');
    reply.classList.toggle('refused', r.status !== 200);
    if (r.status !== 200) {
      reply.textContent = t.refused(r);
      $('reply-meta').textContent = '';
    } else {
      reply.textContent = r.reply ?? t.noReply;
      $('reply-meta').textContent = `${r.reply === undefined ? '' : `${t.meta(r)}. `}${t.signed(r)}`;
    }
    $('history').textContent = r.history ? r.history.text : t.noRecord;
    $('history-meta').textContent = r.history ? t.meta(r.history) : '';
  } finally {
    $('submit').disabled = false;
  }
}

$('lang').addEventListener('click', () => {
  lang = lang === 'vi' ? 'en' : 'vi';
  applyLanguage();
});
$('person').addEventListener('change', pick);
$('send').addEventListener('submit', send);
$('body').addEventListener('keydown', (event) => {
  // Enter sends, Shift+Enter writes a new line, as in a messaging app.
  if (event.key === 'Enter' && !event.shiftKey) {
    event.preventDefault();
    $('send').requestSubmit();
  }
});
fetch('/simulator/api/people')
  .then((res) => res.json())
  .then((list) => {
    people = list;
    fillPeople();
  });
