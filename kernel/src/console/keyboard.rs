//! PS/2 scancode set 1 (what the i8042 delivers with translation on) to bytes, US layout:
//! shift, caps lock, ctrl (Ctrl-letter is the control code), Enter as `\r`, Backspace 0x08.
const SHIFT_L: u8 = 0x2a;
const SHIFT_R: u8 = 0x36;
const CTRL: u8 = 0x1d;
const CAPS: u8 = 0x3a;
const RELEASE: u8 = 0x80;
const EXTENDED: u8 = 0xe0;

const PLAIN: &[u8; 58] =
    b"\0\x1b1234567890-=\x08\tqwertyuiop[]\r\0asdfghjkl;'`\0\\zxcvbnm,./\0*\0 ";
const SHIFTED: &[u8; 58] =
    b"\0\x1b!@#$%^&*()_+\x08\tQWERTYUIOP{}\r\0ASDFGHJKL:\"~\0|ZXCVBNM<>?\0*\0 ";

pub struct Keyboard {
    shift: bool,
    ctrl: bool,
    caps: bool,
    extended: bool,
}

impl Keyboard {
    pub const fn new() -> Self {
        Self {
            shift: false,
            ctrl: false,
            caps: false,
            extended: false,
        }
    }

    /// The byte a scancode types, if any.
    pub fn scancode(&mut self, code: u8) -> Option<u8> {
        if code == EXTENDED {
            self.extended = true;
            return None;
        }
        let extended = core::mem::take(&mut self.extended);
        let pressed = code & RELEASE == 0;
        let key = code & !RELEASE;
        match key {
            SHIFT_L | SHIFT_R if !extended => self.shift = pressed,
            CTRL => self.ctrl = pressed,
            CAPS if pressed => self.caps = !self.caps,
            // Keypad Enter and '/' are the only extended keys that type.
            0x1c | 0x35 if pressed && extended => return Some(PLAIN[usize::from(key)]),
            _ if pressed && !extended => return self.byte(key),
            _ => {}
        }
        None
    }

    fn byte(&self, key: u8) -> Option<u8> {
        let plain = *PLAIN.get(usize::from(key))?;
        let shifted = SHIFTED[usize::from(key)];
        let letter = plain.is_ascii_lowercase();
        let byte = if self.shift ^ (self.caps && letter) {
            shifted
        } else {
            plain
        };
        match byte {
            0 => None,
            b if self.ctrl && b.is_ascii_alphabetic() => Some(b.to_ascii_lowercase() & 0x1f),
            b => Some(b),
        }
    }
}
