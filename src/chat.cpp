#include "chat.h"

#include "ggml/gguf.h"

namespace giraffe {

static const char* const kNames[] = {"gemma", "llama3", "chatml", "mistral"};

const char* chat_template_name(ChatTemplate t) { return kNames[int(t)]; }

bool chat_template_from_name(const std::string& name, ChatTemplate* out) {
    for (int i = 0; i < 4; i++)
        if (name == kNames[i]) {
            *out = ChatTemplate(i);
            return true;
        }
    return false;
}

ChatTemplate detect_chat_template(const ggml::GgufFile& f) {
    const std::string tmpl = f.get_str("tokenizer.chat_template", "");
    if (tmpl.find("<start_of_turn>") != std::string::npos) return ChatTemplate::Gemma;
    if (tmpl.find("<|start_header_id|>") != std::string::npos) return ChatTemplate::Llama3;
    if (tmpl.find("<|im_start|>") != std::string::npos) return ChatTemplate::ChatML;
    if (tmpl.find("[INST]") != std::string::npos) return ChatTemplate::Mistral;
    const std::string arch = f.get_str("general.architecture", "");
    if (arch == "gemma3") return ChatTemplate::Gemma;
    if (arch == "llama") return ChatTemplate::Llama3;
    return ChatTemplate::ChatML;
}

namespace {

// Gemma and Mistral have no system turn: its text opens the first user message.
std::vector<ChatMessage> fold_system(const std::vector<ChatMessage>& in) {
    std::vector<ChatMessage> out;
    std::string system;
    for (const ChatMessage& m : in) {
        if (m.role == "system") {
            system += (system.empty() ? "" : "\n\n") + m.content;
            continue;
        }
        out.push_back(m);
        if (m.role == "user" && !system.empty()) {
            out.back().content = system + "\n\n" + m.content;
            system.clear();
        }
    }
    return out;
}

}  // namespace

std::string format_chat(ChatTemplate t, const std::vector<ChatMessage>& messages, bool add_generation_prompt) {
    std::string s;
    switch (t) {
    case ChatTemplate::Gemma:
        for (const ChatMessage& m : fold_system(messages))
            s += "<start_of_turn>" + (m.role == "assistant" ? std::string("model") : m.role) + "\n" + m.content +
                 "<end_of_turn>\n";
        if (add_generation_prompt) s += "<start_of_turn>model\n";
        break;
    case ChatTemplate::Llama3:
        for (const ChatMessage& m : messages)
            s += "<|start_header_id|>" + m.role + "<|end_header_id|>\n\n" + m.content + "<|eot_id|>";
        if (add_generation_prompt) s += "<|start_header_id|>assistant<|end_header_id|>\n\n";
        break;
    case ChatTemplate::ChatML:
        for (const ChatMessage& m : messages) s += "<|im_start|>" + m.role + "\n" + m.content + "<|im_end|>\n";
        if (add_generation_prompt) s += "<|im_start|>assistant\n";
        break;
    case ChatTemplate::Mistral:
        for (const ChatMessage& m : fold_system(messages))
            s += m.role == "user" ? "[INST] " + m.content + " [/INST]" : m.content + "</s>";
        break;
    }
    return s;
}

}  // namespace giraffe
