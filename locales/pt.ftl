# lab's messages: one per line, `id = text`. `{ $a1 }`, `{ $a2 }`… are filled in order
# with what the message is about (see the English file).
# Português do Brasil.
# Uma contagem escolhe as palavras com [1], não [one]: o `one` do CLDR para o português
# inclui o 0 ("0 pacote"), e dizemos "0 pacotes".

wire-missed = a captura ficou para trás: o kernel descartou aqui { $a1 ->
        [1] { $a1 } pacote, que não aparece
       *[other] { $a1 } pacotes, que não aparecem
    } (nem no --pcap)
wire-summary = cabo: { $a1 ->
        [1] { $a1 } segmento capturado
       *[other] { $a1 } segmentos capturados
    }, não mostrados: { $a2 } (só ACKs de dados; --wire all os mostra), não capturados: { $a3 }
wire-summary-all = cabo: { $a1 ->
        [1] { $a1 } segmento capturado, mostrado
       *[other] { $a1 } segmentos capturados, todos mostrados
    }, não capturados: { $a2 }
wire-summary-off = cabo: { $a1 ->
        [1] { $a1 } segmento capturado, não mostrado (--wire off; --wire summary ou all o mostra)
       *[other] { $a1 } segmentos capturados, não mostrados: todos (--wire off; --wire summary ou all os mostra)
    }, não capturados: { $a2 }
on-the-wire = no cabo
netns-refused = sem rede própria do lab ({ $a1 } falhou: { $a2 }). { $a3 } Rodando na rede da máquina: os segmentos não são capturados, e cada seta é deduzida das chamadas.
netns-max-user-ns = user.max_user_namespaces vale 0: permita-os com `sudo sysctl user.max_user_namespaces=15000`.
netns-unpriv-clone = kernel.unprivileged_userns_clone vale 0: permita-os com `sudo sysctl kernel.unprivileged_userns_clone=1`.
netns-app-armor = kernel.apparmor_restrict_unprivileged_userns vale 1 (Ubuntu): o namespace é criado sem suas capacidades. Permita com `sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0`, ou dê ao lab um perfil do AppArmor com `userns,`, ou rode-o com sudo.
netns-threads = O processo já tinha threads (um namespace de usuário é negado a um processo com várias threads): um bug do lab, por favor avise-nos.
netns-seccomp = Nenhum sysctl o proíbe: o perfil seccomp de um contêiner pode proibir (Docker: `--security-opt seccomp=unconfined`), ou rode o lab com sudo.
col-number = #
col-time = tempo ms
col-who = quem
col-call = chamada
col-result = res.
col-state = estado
col-kernel = kernel
col-call-result = chamada → resultado
step-next = próxima: { $a1 } { $a2 }  — Enter, c, q, ?{" "}
step-continue = c: sigo até o fim sem pausas
step-quit = q: saindo
step-ctrl-c = Ctrl+C: parado na hora (o kernel fecha o que ficou aberto)
step-keys = Enter ou espaço: fazer esta chamada · c: seguir até o fim sem pausas · q: sair de forma limpa · ?: estas teclas · Ctrl+C: parar na hora
step-unknown-key = essa tecla não faz nada aqui: ? mostra as teclas
lesson-stopped = lição { $a1 }: parada antes da linha { $a2 } (q); { $a3 ->
        [1] { $a3 } verificação
       *[other] { $a3 } verificações
    } até aqui, { $a4 ->
        [1] { $a4 } não cumprida
       *[other] { $a4 } não cumpridas
    }
step-no-terminal = (não há terminal em que esperar; sigo)
wrote-file = escrito { $a1 }
diagram-inferred = deduzida das chamadas: nenhuma captura da rede a mostra
diagram-on-the-wire = estado de um fechamento visto no cabo (o seu FIN saiu, o ACK ainda não voltou), não na tabela do kernel
diagram-accepted = fd { $a1 }, aceito: { $a2 }
diagram-bytes = { $a1 } ({ $a2 ->
        [1] { $a2 } byte
       *[other] { $a2 } bytes
    })
diagram-inferred-arrow = (deduzido)
page-summary = { $a1 ->
        [1] { $a1 } evento
       *[other] { $a1 } eventos
    }; a tabela do kernel concordou { $a2 ->
        [1] { $a2 } vez
       *[other] { $a2 } vezes
    }, discordou { $a3 ->
        [1] { $a3 } vez
       *[other] { $a3 } vezes
    }
page-checks = ; { $a1 ->
        [1] { $a1 } expectativa
       *[other] { $a1 } expectativas
    }, { $a2 ->
        [1] { $a2 } não cumprida
       *[other] { $a2 } não cumpridas
    }
page-first = {" "}(são desenhados os primeiros { $a1 } de { $a2 })
lesson-all-met = lição { $a1 }: todas as expectativas cumpridas ({ $a2 ->
        [1] { $a2 } verificação
       *[other] { $a2 } verificações
    })
lesson-title = lição { $a1 }: { $a2 }
lesson-not-met = lição { $a1 }: { $a2 } de { $a3 ->
        [1] { $a3 } expectativa não cumprida
       *[other] { $a3 } expectativas não cumpridas
    }
check-ok = ok
check-fail = FALHA
check-totals = { $a1 ->
        [1] { $a1 } aprovada
       *[other] { $a1 } aprovadas
    }, { $a2 ->
        [1] { $a2 } reprovada
       *[other] { $a2 } reprovadas
    }
check-skip = omit
check-skipped = , { $a1 ->
        [1] { $a1 } não correu
       *[other] { $a1 } não correram
    } aqui
check-counts = ({ $a1 ->
        [1] { $a1 } verificação
       *[other] { $a1 } verificações
    }, { $a2 } ms)
list-topic = tema
list-lesson = lição
list-from = origem
lang-name = { $a1 ->
    [en] inglês
    [es] espanhol
    [pt] português
   *[other] { $a1 }
}
lessons-built-in = as lições do lab
check-untranslated = {"     "}sem tradução para o { $a1 }: { $a2 } (mostrado em { $a3 })
check-untranslated-all = {"     "}sem tradução para o { $a1 } (mostrado em { $a2 })
list-title = título
list-question = pergunta
server-listening = lab server: escutando em { $a1 } ({ $a2 })
    {"            "}até { $a3 ->
        [1] { $a3 } cliente
       *[other] { $a3 } clientes
    }, limite de fds { $a4 }; Ctrl+C para parar
server-stopped = lab server: parado
model-threads = threads: uma por cliente
model-poll = poll: uma só thread
model-epoll = epoll: uma thread, o kernel guarda a lista de fds
trace-attached = conectado ao processo { $a1 }: Ctrl+C o solta, e ele segue como antes
trace-children = o processo { $a1 } tem filhos, iniciados antes de o lab se conectar e não rastreados: se ele é um shell ou um lançador, os sockets são deles: { $a2 }
trace-detached = solto o processo { $a1 }: ele segue sem rastreamento
trace-ended = o programa terminou com status { $a1 }
trace-killed = o programa foi morto pelo sinal { $a1 }
trace-privileges-filter = { $a1 } é { $a2 }: sob o lab trace ele roda SEM esses direitos (o filtro seccomp do lab ativa no_new_privs, e o exec então os ignora), então uma chamada que precise deles falha (EPERM). Para rastreá-lo com eles: inicie-o você mesmo e `sudo lab trace -p PID`, ou `sudo lab trace --no-filter -- PROGRAMA`
trace-privileges-ptrace = { $a1 } é { $a2 }: rastreado por um processo sem CAP_SYS_PTRACE, o exec os ignora e ele roda SEM esses direitos, então uma chamada que precise deles falha (EPERM). Para rastreá-lo com eles: `sudo lab trace -p PID`
trace-unseen-sendfile = sendfile() copia um arquivo para o socket dentro do kernel: o rastreamento mostra quantos bytes enviou, não quais eram
trace-unseen-splice = splice() move dados entre um pipe e o socket dentro do kernel: o rastreamento mostra quantos bytes, não quais eram
trace-unseen-io-uring = este programa cria um io_uring: o que ele envia pelo anel (connect, accept, send, recv…) o kernel executa sem uma chamada de sistema para cada operação, e nenhum rastreador vê — o rastreamento mostra só as chamadas que ele faz diretamente
trace-signal = --- { $a1 } --- entregue ao programa: sua ação padrão
trace-signal-ignored = --- { $a1 } --- ignorado pelo programa (SIG_IGN): nada acontece
trace-signal-caught = --- { $a1 } --- entregue ao tratador do programa
trace32-bit = uma chamada de sistema de 32 bits (int 0x80): não suportada; suas chamadas não aparecem
trace-blind = { $a1 }: o lab não consegue olhar os fd deste processo, então suas chamadas de socket aparecem sem verificação (?), e as que podem ser sobre um arquivo (read, write, close, dup, fcntl, poll, epoll…) só com --all-fds
no-lessons-folder = não foi possível ler a pasta de lições { $a1 } ({ $a2 }): confira o caminho dado com --lessons ou LAB_LESSONS
no-such-lesson = não há nenhuma lição '{ $a1 }' em { $a2 } (há: { $a3 })
did-you-mean = não há nenhuma lição '{ $a1 }' em { $a2 }: você quis dizer '{ $a3 }'?
peer-closed-relay = lab: a outra ponta fechou o seu lado (recv retornou 0); Ctrl+D fecha o nosso
detail-accepted = { $a1 } de { $a2 }
detail-from = de { $a1 }
gone = não existe mais
detail-eof-own = EOF: este lado foi fechado para leitura
detail-eof-peer = EOF: a outra ponta fechou o seu lado
detail-blocked = … bloqueada, esperando
detail-unfinished = … inacabada: a thread terminou antes que ela retornasse
detail-interrupted = ? { $a1 }: interrompida por um sinal, { $a2 }
restart-sys = refeita a menos que um tratador sem SA_RESTART tenha rodado (então, EINTR)
restart-no-intr = sempre refeita
restart-no-hand = refeita a menos que um tratador tenha rodado (senão, EINTR)
restart-block = continua como restart_syscall quando o programa volta a rodar
restarted = reiniciada
fd-gone = (fd fechado)
client-server-closed = {"*"} o servidor fechou a conexão
client-lost = ! conexão perdida: { $a1 }
on-port = {" "}na porta { $a1 }
watching = observando { $a1 ->
        [1] { $a1 } socket
       *[other] { $a1 } sockets
    }{ $a2 }; Ctrl+C para parar
err-in-use = { $a1 } já está em uso: outro programa escuta ali (veja `lab sockets --port { $a2 } -p`), ou uma conexão em TIME-WAIT retém a porta e o socket de escuta não ativou SO_REUSEADDR
err-in-use-held = { $a1 } já está em uso: { $a2 } (veja `lab sockets --port { $a3 } -p`)
held-by-listener = { $a1 } escuta ali, nas mãos de { $a2 }
held-by-connection = a conexão { $a1 } em { $a2 } retém a porta{ $a3 }: um socket novo só a obtém se ativar SO_REUSEADDR (e, se é a porta de um socket de escuta, o antigo também)
held-by-other = um processo de outro usuário
err-access = { $a1 }: portas abaixo de 1024 precisam de root (ou CAP_NET_BIND_SERVICE); escolha uma porta ≥ 1024
err-no-addr = { $a1 }: esta máquina não tem esse endereço; use 127.0.0.1, ::1 ou 0.0.0.0
err-refused = { $a1 }: ninguém escuta ali (o kernel respondeu ao SYN com RST)
err-timed-out = { $a1 }: nenhuma resposta ao SYN (um firewall, ou esse host não existe)
err-too-many-files = arquivos abertos demais: aumente o limite com `ulimit -n`
accept-after-shut-rd = o socket de escuta foi fechado para leitura (shutdown(SHUT_RD)): accept() falha com EINVAL — é assim que um accept() bloqueado é acordado para parar
close-held-by = { $a1 } ainda tem este socket (um dup(), ou um processo criado com fork()): este close() tirou uma referência, nenhum FIN foi enviado
close-held-passing = { $a1 } ainda tem este socket: um filho entre fork() e exec() tem uma cópia de cada fd do pai até que exec() os feche; ainda sem FIN
close-held-unseen = uma referência que o lab não pode ver ainda tem este socket (um processo de outro usuário, ou um fd em trânsito entre processos): este close() tirou uma referência, nenhum FIN foi enviado
close-let-go = um filho entre fork() e exec() teve este socket { $a1 } µs depois do close() (ele tem uma cópia de cada fd do pai): o FIN saiu quando ele o soltou
close-let-go-unseen = uma referência que o lab não pôde ver (um processo de outro usuário, ou um que o soltou antes de o lab olhar) teve este socket { $a1 } µs depois do close(): o FIN saiu quando ela o soltou
abort-linger0 = SO_LINGER 0: close() envia RST, não FIN
abort-unread = dados não lidos na fila de recepção: close() envia RST, não FIN
crossed = o FIN da outra ponta cruzou com o nosso
fin-already-back = o FIN da outra ponta já tinha voltado na primeira olhada
peer-moved-on = a outra ponta o avançou nesse meio-tempo: próxima linha
close-should-show = depois de close() a partir de { $a1 } a tabela deveria mostrar { $a2 }
or = {" "}ou{" "}
close-after-gap = o FIN da outra ponta chegou entre a olhada do lab e o próprio close: fechado a partir de CLOSE-WAIT (FIN, LAST-ACK, some)
move-handshake = o handshake de três vias terminou (o programa da outra ponta ainda não chamou accept)
move-fin-arrived = chegou o FIN da outra ponta: recv() vai retornar 0
move-crossed-closing = o FIN da outra ponta cruzou com o nosso: os dois lados fecham ao mesmo tempo
move-fin-acked = a outra ponta confirmou o nosso FIN
move-time-wait = chegou o FIN da outra ponta: quem fecha primeiro espera em TIME-WAIT (60 s)
move-fin-with-ack = chegou o FIN da outra ponta com a confirmação do nosso (ela fechou ao ler o nosso FIN): quem fecha primeiro espera em TIME-WAIT (60 s)
move-last-ack-gone = a outra ponta confirmou o nosso FIN: a conexão some
move-time-wait-expired = o TIME-WAIT expirou: a 4-tupla está livre de novo
move-reset = a outra ponta redefiniu a conexão (RST): o fd continua, a conexão some
move-gone = a conexão não está mais na tabela
move-listener-gone = o socket de escuta não está mais na tabela: ninguém mais escuta na sua porta
move-reset-orphan = redefinida: um RST a encerrou, sem TIME-WAIT (a outra ponta abortou — p. ex. fechou com dados não lidos)
move-timed-out = expirou: nada veio da outra ponta, e o temporizador do kernel a largou
move-keep-alive-gave-up = o kernel deste lado desistiu: suas sondas keep-alive ficaram sem resposta, então enviou RST e largou a conexão; o fd continua
move-gave-up = o kernel deste lado desistiu de uma outra ponta calada (esgotaram-se as retransmissões, as sondas keep-alive ou o TCP_USER_TIMEOUT): o fd continua, a conexão some
move-ended-unknown = a conexão some, o fd continua: um RST da outra ponta, ou o kernel deste lado desistiu — nada do que o rastreamento viu diz qual (o cabo não é mostrado)
move-own-end-orphan = encerrada pelo kernel deste lado, sem TIME-WAIT: nenhum RST veio da outra ponta (chegaram dados para o socket fechado e ele respondeu RST, ou um temporizador desistiu)
move-ended-unknown-orphan = some, sem TIME-WAIT: um RST da outra ponta ou um temporizador deste lado a encerrou — nada do que o rastreamento viu diz qual (o cabo não é mostrado)
move-other = o kernel mudou o estado
not-tcp = não é um socket TCP: não tem estados de conexão
read-later-moved = não confirmado: quando a tabela foi lida, depois da chamada, a conexão já estava em { $a1 }
read-later-gone = não confirmado: quando a tabela foi lida, depois da chamada, a conexão já não estava lá
no-local = sem endereço local
unbound = não listado (sem bind): um socket entra na tabela quando ganha uma porta
no-peer = sem endereço da outra ponta para procurar a conexão
fd-close-time-wait = o socket do fd está em CLOSE; sua conexão continua em TIME-WAIT sem ele
connection-over = a conexão terminou
bound-invisible = com bind mas sem listen: invisível para o sock_diag antes do Linux 6.8
bound-idle = com bind, ocioso: listado desde o Linux 6.8
close-port-given = em CLOSE e sem porta (uma que o bind() não nomeou é devolvida): não está na tabela
no-row = a tabela não tem linha para esta 4-tupla
other-inode = a linha desta 4-tupla é outro socket (o inode é diferente)
expect-got = esperado { $a1 }, obtido { $a2 }
expect-state-met = estado { $a1 }
expect-state = esperado o estado { $a1 }, o fd informa { $a2 }
expect-kernel-met = kernel { $a1 }
expect-kernel = esperado { $a1 }, o kernel informa { $a2 }
expect-queue = esperado { $a1 } { $a2 }, o kernel informa { $a3 }
no-state = sem estado
guard-note = a guarda da lição: espera (no máximo 3 s) até que uma chamada bloqueante não bloqueie
clean-up = limpeza: fechando os sockets que a lição deixou abertos
accept-forever = accept() esperaria para sempre: nenhuma conexão espera em { $a1 }
recv-forever = recv() esperaria para sempre: nada vai chegar
recv-waitall-forever = recv() em { $a1 } com MSG_WAITALL esperaria para sempre: espera todos os { $a2 } bytes, e tinham chegado { $a3 } depois de { $a4 } s
send-forever = send() em { $a1 } esperaria para sempre: os buffers não aceitam mais e nenhum passo lê enquanto ele espera; tinha enviado { $a3 } de { $a2 } bytes depois de { $a4 } s, e foi interrompido
connect-forever = connect() em { $a1 } esperou demais: o seu handshake não terminou em { $a2 } s, e o seu kernel reenvia o SYN até esgotar as novas tentativas (cerca de 2 minutos por padrão; setsockopt TCP_SYNCNT N encurta isso); ele foi interrompido
send-before-connected = send() em { $a1 } esperou demais: a sua conexão ainda está no handshake (SYN-SENT), e um send() bloqueante espera que ele termine; foi interrompido depois de { $a2 } s
recvfrom-forever = recvfrom() esperaria para sempre: nenhum datagrama vai chegar
wait-for = esperar por { $a1 }
waited = { $a1 } (após esperar)
fd-reports = o fd informa { $a1 }
kernel-reports = o kernel informa { $a1 }
kernel-reports-recv-q = o kernel informa Recv-Q { $a1 }
kernel-reports-send-q = o kernel diz Send-Q { $a1 }
wait-timed-out = esperado { $a1 } em { $a2 } s, { $a3 }
table-words = a tabela do kernel: { $a1 }, Recv-Q { $a2 }{ $a3 }
table-timer = , temporizador { $a1 }
table-no-row = a tabela do kernel: sem linha
wire-step-met = { $a1 } visto no cabo
wire-step-missing = esperado { $a1 } no cabo em { $a2 } s; { $a3 }
wire-step-nothing = nada mais foi de { $a1 } para { $a2 }
wire-step-other = o último que foi de { $a1 } para { $a2 }: { $a3 }
wire-step-time = esperado { $a1 }, visto { $a2 } ms depois do segmento anterior
wire-step-not-checked = wire { $a1 }: não verificado, aqui não há captura ({ $a2 })
lesson-needs-hosts = esta lição roda em hosts ligados pelo enlace do lab, e eles não podem ser criados aqui: { $a1 }
lesson-link-now = o enlace a partir de agora: { $a1 }
lesson-sysctl = sysctl { $a1 }={ $a2 } em { $a3 }
lesson-no-sysctl = sysctl { $a1 }={ $a2 }: este kernel não tem esse ajuste, nada mudou em { $a3 }
ask-name = Qual é o seu nome?
room-welcome = {"*"} Boas-vindas ao chat do lab! Qual é o seu nome? (de 1 a 16 letras, dígitos, _ ou -)
room-too-long = ! linha longa demais (mais de { $a1 } bytes): descartada
room-left = {"*"} { $a1 } saiu do chat{ $a2 }
leave-disconnected = {" "}(desconectou-se)
leave-reset = {" "}(conexão redefinida)
leave-too-slow = {" "}(removido: parou de ler)
leave-shutdown = {" "}(o servidor está sendo desligado)
client-needs-name = --dialect { $a1 } envia o seu nome logo depois do connect(): informe-o com --name
paced-pause = esperou { $a1 } ms para que esta mensagem chegue no seu próprio recv(): o protocolo não delimita as mensagens
chatbid-expected = ! esperado MESSAGE:texto ou DISCONNECT:, chegou '{ $a1 }'
room-shutdown = {"*"} o servidor está sendo desligado, tchau!
room-bad-name = ! { $a1 }. Qual é o seu nome?
room-name-taken = ! o nome '{ $a1 }' já está em uso. Qual é o seu nome?
room-hi = {"*"} Olá { $a1 }, boas-vindas! Há mais { $a2 ->
        [1] { $a2 } pessoa
       *[other] { $a2 } pessoas
    } aqui. Digite :h para ver a ajuda.
room-deck-empty = {"*"} o monte de artefatos está vazio: você não tem nenhum
room-your-artifacts = {"*"} seus artefatos: { $a1 }
room-joined = {"*"} { $a1 } entrou no chat
room-mine = { $a1 } (você): { $a2 }
room-users = {"*"} usuários ({ $a1 }): { $a2 }
room-you-are = {"*"} você é { $a1 }: id { $a2 }, fd { $a3 } no servidor, seu endereço { $a4 }
room-bye = {"*"} tchau { $a1 }!
room-no-artifact = ! não há nenhum artefato '{ $a1 }' no catálogo (ids 1-20)
room-usage = ! uso: { $a1 }
room-unknown = ! comando desconhecido { $a1 }: digite :h para ver a ajuda
room-no-such-user-dashed = ! usuário inexistente: :p-nome-texto precisa do nome de alguém conectado (veja :u)
room-users-ids = {"*"} usuários ({ $a1 }), id e endereço:
room-users-more = {"*"}   ... e mais { $a1 }
list-more = , ... e mais { $a1 }
room-no-artifacts = {"*"} você não tem artefatos
room-empty-private = ! mensagem vazia para { $a1 }
room-private-in = {"["}privado] { $a1 } -> você: { $a2 }
room-private-out = {"["}privado] você -> { $a1 }: { $a2 }
room-no-user = ! ninguém se chama '{ $a1 }' (veja :u)
room-self-trade = ! você não pode trocar com você mesmo
poll-first-words = espera até { $a1 } ms que { $a2 } fale primeiro: os seus primeiros bytes dizem qual protocolo ele fala (--dialect auto); se ficar calado, é cumprimentado
client-not-sent = (não enviado: { $a1 })
room-you-lack = ! você não tem o artefato { $a1 } (veja :artifacts)
room-they-lack = ! { $a1 } não tem o artefato { $a2 }
room-you-have = ! você já tem { $a1 }: uma mão tem cada artefato uma só vez
room-they-have = ! { $a1 } já tem { $a2 }: uma mão tem cada artefato uma só vez
room-offer-in = {"*"} { $a1 } oferece { $a2 } pelo seu { $a3 }: :accept { $a4 } ou :reject { $a5 }
room-offer-out = {"*"} oferta enviada para { $a1 }: o seu { $a2 } pelo { $a3 } dele(a)
room-no-offer-from = ! nenhuma oferta de '{ $a1 }'
room-no-offer = ! nenhuma oferta pendente
room-several-offers = ! várias ofertas: diga de quem, p. ex. :accept ana
room-rejected-yours = {"*"} { $a1 } recusou a sua oferta ({ $a2 } por { $a3 })
room-you-rejected = {"*"} você recusou a oferta de { $a1 }
room-accepted = {"*"} { $a1 } aceitou: você deu { $a2 } e recebeu { $a3 }
room-trade-done = {"*"} troca feita: você deu { $a1 } e recebeu { $a2 }
room-they-no-longer = ! { $a1 } não tem mais { $a2 }: oferta cancelada
room-you-no-longer = ! você não tem mais { $a1 }: oferta cancelada
room-full = ! servidor cheio ({ $a1 ->
        [1] { $a1 } cliente
       *[other] { $a1 } clientes
    }): tente de novo mais tarde
name-empty = um nome precisa de pelo menos um caractere
name-too-long = um nome tem no máximo { $a1 } caracteres
name-bad-char = '{ $a1 }' não é permitido: use letras, dígitos, _ e -
name-reserved = '{ $a1 }' é reservado
room-help = {"*"} comandos (':' ou '/'):
    {"*"}   texto              diga a todos
    {"*"}   :p nome texto      mensagem privada (também :p-nome-texto)
    {"*"}   :u / :i            usuários / usuários com id e endereço
    {"*"}   :add               o seu id, o seu fd no servidor, o seu endereço
    {"*"}   :me texto          uma ação
    {"*"}   :smile :angry :combito :larva   emoticons
    {"*"}   :artifacts         os seus artefatos; :artifact N mostra um
    {"*"}   :offer nome meu seu             propõe uma troca (ids de artefatos)
    {"*"}   :accept [nome] / :reject [nome] resolve uma oferta feita a você
    {"*"}   :h                 esta ajuda
    {"*"}   :q, chao, bye      sair
link-error = regra do enlace, coluna { $a1 }: '{ $a2 }': { $a3 }
link-unknown-rule = não é uma regra (delay, loss, drop, duplicate, reorder, rate, mtu, partition, heal)
link-no-host = não há nenhum host '{ $a1 }'
link-bad-duration = um tempo é um número e uma unidade, de 0 a 10s: 30ms, 1s, 250us
link-bad-percent = uma probabilidade é uma porcentagem de 0 a 100: 5%
link-bad-count = esperado um número inteiro no intervalo (mtu: 68 a 65536; contagens: 1 a 1000000)
link-bad-rate = uma taxa é um número e bit, kbit, mbit ou gbit, de 1kbit a 100gbit: 1mbit
link-bad-kind = drop conta segmentos data, SYN, FIN ou RST
link-missing = falta à regra o seu { $a1 }
link-heal-alone = 'heal' vem sozinho: termina uma partição e mantém as outras regras
link-repeated = '{ $a1 }' de novo para um sentido que uma regra anterior (coluna { $a2 }) já cobre: valeriam as duas, uma após a outra; diga uma vez só
net-hosts = a rede do lab: { $a1 } — enlace: { $a2 }
net-summary = os hosts enviaram { $a1 ->
        [1] { $a1 } pacote
       *[other] { $a1 } pacotes
    }: { $a2 ->
        [1] { $a2 } chegou
       *[other] { $a2 } chegaram
    }, { $a3 ->
        [1] { $a3 } foi descartado pelo enlace
       *[other] { $a3 } foram descartados pelo enlace
    }, { $a4 ->
        [1] { $a4 } não era para nenhum host
       *[other] { $a4 } não eram para nenhum host
    }
link-perfect = sem regras: um enlace perfeito
dropped-partition = partição
dropped-too-big = maior que a MTU do enlace
dropped-scripted = descartado conforme o roteiro
dropped-lost = perdido
dropped-queue-full = fila cheia
net-no-userns = lab net não consegue criar os seus hosts: { $a1 }
net-up = a rede do lab está no ar: { $a1 } — enlace: { $a2 }. Em outro terminal: lab net exec a -- COMANDO, lab net link 'REGRAS', lab sockets --host a. Ctrl+C a derruba.
fault-shortened = o lab encurtou este { $a1 }() para { $a2 } dos { $a3 } bytes pedidos ({ $a4 }): o TCP sempre pode fazer isso
fault-interrupted = o lab interrompeu este { $a1 }() antes que rodasse (--eintr): ele retorna EINTR, como quando chega um sinal enquanto ele espera
diagram-left-out = (o diagrama guarda os últimos eventos de uma execução: { $a1 ->
        [1] falta { $a1 } evento anterior de { $a2 }
       *[other] faltam os { $a1 } eventos anteriores de { $a2 }
    }; o rastreamento tem todos)
