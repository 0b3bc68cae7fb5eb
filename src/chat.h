// Chat templates by name: gemma, llama3, chatml, mistral. Picked from the GGUF's tokenizer.chat_template
// (recognised by its markers) or the architecture, or named on the command line.
#pragma once
#include <string>
#include <vector>

namespace ggml {
class GgufFile;
}

namespace giraffe {

enum class ChatTemplate { Gemma, Llama3, ChatML, Mistral };

struct ChatMessage {
    std::string role;  // system, user, assistant
    std::string content;
};

const char* chat_template_name(ChatTemplate t);
bool chat_template_from_name(const std::string& name, ChatTemplate* out);
ChatTemplate detect_chat_template(const ggml::GgufFile& f);
// The conversation as the model was trained to see it (without BOS: the tokenizer adds it), ending with
// the assistant's opening when add_generation_prompt.
std::string format_chat(ChatTemplate t, const std::vector<ChatMessage>& messages, bool add_generation_prompt);

}  // namespace giraffe
