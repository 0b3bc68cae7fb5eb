/* The smallest program that embeds giraffe: load a model, continue a prompt greedily, print the text.
 * It uses only the C API (giraffe.h) and is compiled as C.
 *
 *   simple MODEL.gguf "PROMPT" [N_TOKENS] [DEVICE]     (DEVICE: cpu, vulkan, vulkan:1, ...)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "giraffe.h"

static int fail(const char* what) {
    fprintf(stderr, "error: %s: %s\n", what, giraffe_last_error());
    return 1;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.gguf PROMPT [N_TOKENS] [DEVICE]\n", argv[0]);
        return 1;
    }
    const int n_predict = argc > 3 ? atoi(argv[3]) : 32;
    giraffe_model* model = NULL;
    giraffe_model_params params = giraffe_model_default_params();
    if (argc > 4) params.device = argv[4];
    if (giraffe_model_load(argv[1], &params, &model) != GIRAFFE_OK) return fail("load");

    size_t n = 0;
    giraffe_tokenize(model, argv[2], strlen(argv[2]), 1, 0, NULL, 0, &n); /* ask for the size */
    int32_t* tokens = malloc(n * sizeof(int32_t));
    if (!tokens || giraffe_tokenize(model, argv[2], strlen(argv[2]), 1, 0, tokens, n, &n) != GIRAFFE_OK)
        return fail("tokenize");

    giraffe_session* session = NULL;
    if (giraffe_session_create(model, 0, 0, &session) != GIRAFFE_OK) return fail("session");
    giraffe_sampler* sampler = NULL;
    if (giraffe_sampler_create(0.0f, 0, 1.0f, 0.0f, 1.0f, 0, &sampler) != GIRAFFE_OK) return fail("sampler");

    printf("%s", argv[2]);
    if (giraffe_decode(session, tokens, n) != GIRAFFE_OK) return fail("decode");
    for (int i = 0; i < n_predict; i++) {
        int32_t t;
        if (giraffe_sample(sampler, session, &t) != GIRAFFE_OK) return fail("sample");
        if (giraffe_token_is_eog(model, t)) break;
        char piece[256];
        size_t len;
        if (giraffe_token_to_piece(model, t, piece, sizeof piece, &len) != GIRAFFE_OK) return fail("piece");
        fwrite(piece, 1, len, stdout);
        fflush(stdout);
        if (giraffe_decode(session, &t, 1) != GIRAFFE_OK) return fail("decode");
    }
    printf("\n");
    giraffe_sampler_free(sampler);
    giraffe_session_free(session);
    giraffe_model_free(model);
    free(tokens);
    return 0;
}
