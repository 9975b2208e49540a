"""What a conversation types: the ports keys go to (`ports`: COM1's socket, a board's
console) and the typist that types what the matcher asks for (`typist`)."""
