// The op table: every case, in one list (built once).
#include "ops/op_cases.h"

#include <set>
#include <stdexcept>

#include "ops/case_helpers.h"

namespace optest {

const std::vector<OpCase>& op_cases() {
    static const std::vector<OpCase> table = [] {
        std::vector<OpCase> t;
        add_copy_cases(t);
        add_elementwise_cases(t);
        add_rowwise_cases(t);
        add_rope_cases(t);
        add_mul_mat_cases(t);
        add_attention_cases(t);
        std::set<std::string> names;
        for (const OpCase& c : t)
            if (!names.insert(c.name).second) throw std::logic_error("duplicate op case name " + c.name);
        return t;
    }();
    return table;
}

}  // namespace optest
