/* Seed 000's chat client ("Poli Chat"), as its report's listings write it: the name sent
 * alone right after connect() with no newline (send_username), a receive thread that prints
 * each recv() and marks the user's own lines "(you):" by comparing the start of the buffer,
 * and a main loop that sends each typed line (fgets keeps its '\n') and leaves on "chao" or
 * "bye". Only the address comes from the command line (the seed hard-codes 127.0.0.1:8888):
 *   poli_client PORT NAME */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BUFFER_SIZE 1024
#define MSG_TYPE_USERNAME "USERNAME:"

static int client_socket;
static volatile int running = 1;
static char username[64];
static char proper_username[80];

void send_username(int socket, const char *username) {
    char buffer[BUFFER_SIZE];
    sprintf(buffer, "%s%s", MSG_TYPE_USERNAME, username);
    send(socket, buffer, strlen(buffer), 0);
}

void *receive_handler(void *arg) {
    char buffer[BUFFER_SIZE];
    char modified_buffer[BUFFER_SIZE * 2];
    int receive_len;
    (void)arg;
    while (running) {
        memset(buffer, 0, BUFFER_SIZE);
        receive_len = recv(client_socket, buffer, BUFFER_SIZE - 1, 0);
        if (receive_len > 0) {
            if (strncmp(buffer, proper_username, strlen(proper_username)) == 0) {
                snprintf(modified_buffer, sizeof modified_buffer, "%s(you):%s", username,
                         buffer + strlen(proper_username));
                printf("%s", modified_buffer);
            } else {
                printf("%s", buffer);
            }
        } else {
            running = 0;
            printf("[the server closed the connection]\n");
        }
        fflush(stdout);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: poli_client PORT NAME\n");
        return 2;
    }
    struct sockaddr_in server_addr = {0};
    server_addr.sin_family = AF_INET;
    server_addr.sin_port = htons(atoi(argv[1]));
    inet_pton(AF_INET, "127.0.0.1", &server_addr.sin_addr);
    client_socket = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(client_socket, (struct sockaddr *)&server_addr, sizeof(server_addr)) < 0) {
        perror("connect");
        return 1;
    }
    snprintf(username, sizeof username, "%s", argv[2]);
    snprintf(proper_username, sizeof proper_username, "%s: ", username);
    send_username(client_socket, username);
    pthread_t receive_thread;
    if (pthread_create(&receive_thread, NULL, receive_handler, NULL) != 0) {
        perror("Failed to create receive thread");
        close(client_socket);
        return 1;
    }
    pthread_detach(receive_thread);
    char buffer[BUFFER_SIZE];
    while (running && fgets(buffer, BUFFER_SIZE, stdin)) {
        if (strncmp(buffer, "chao", 4) == 0 || strncmp(buffer, "bye", 3) == 0) {
            break;
        }
        send(client_socket, buffer, strlen(buffer), 0);
    }
    running = 0;
    close(client_socket);
    return 0;
}
